import KysoCore
import Synchronization

/// The PIN flags each token reported right after kysod's last successful login on it (`PINFlagsAfterLogin`).
final class PINLeftovers: Sendable {
    private let remembered = Mutex<[String: PINFlagsAfterLogin]>([:])

    func effective(tokenId: String, _ fresh: PINStatus) -> PINStatus {
        remembered.withLock { $0[tokenId] }?.effective(fresh) ?? fresh
    }

    func remember(tokenId: String, afterSuccess status: PINStatus) {
        remembered.withLock { $0[tokenId] = PINFlagsAfterLogin(reportedAfterSuccess: status) }
    }

    func forget(tokenId: String) { remembered.withLock { _ = $0.removeValue(forKey: tokenId) } }

    func forgetAll() { remembered.withLock { $0.removeAll() } }
}
