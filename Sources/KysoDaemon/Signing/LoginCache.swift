import PKCS11
import Synchronization

/// Logged-in sessions kept for a while so a user types their PIN once per batch. Off by default; at most one
/// hour; measured on the monotonic clock so a clock change cannot stretch it. Each entry also remembers the
/// private-key handles found in its session, which stay valid exactly as long as that session does.
final class LoginCache: Sendable {
    static let maximum: Duration = .seconds(3600)
    private let ttl: Duration?

    private struct Entry {
        let session: Session
        let expires: ContinuousClock.Instant
        var keys: [[UInt8]: ObjectHandle] = [:]
    }
    private let entries = Mutex<[String: Entry]>([:])

    init(ttl: Duration?) {
        self.ttl = ttl.map { min($0, Self.maximum) }.flatMap { $0 > .zero ? $0 : nil }
    }

    var isEnabled: Bool { ttl != nil }

    func session(for tokenId: String) -> Session? {
        let now = ContinuousClock.now
        let (valid, expired) = entries.withLock { entries -> (Session?, Session?) in
            guard let entry = entries[tokenId] else { return (nil, nil) }
            if entry.expires > now { return (entry.session, nil) }
            entries[tokenId] = nil
            return (nil, entry.session)
        }
        if let expired {
            try? expired.logout()
            expired.close()
        }
        return valid
    }

    func keep(_ session: Session, for tokenId: String) {
        guard let ttl else { return }
        entries.withLock { $0[tokenId] = Entry(session: session, expires: ContinuousClock.now + ttl) }
    }

    /// The handle of the private key with CKA_ID `objectID` found earlier in `session`, while that session is
    /// still the token's cached one.
    func key(_ objectID: [UInt8], in session: Session, for tokenId: String) -> ObjectHandle? {
        entries.withLock { entries in
            guard let entry = entries[tokenId], entry.session === session else { return nil }
            return entry.keys[objectID]
        }
    }

    /// Remembers a key handle found in the token's cached `session` (ignored when that session is not cached).
    func remember(key: ObjectHandle, _ objectID: [UInt8], in session: Session, for tokenId: String) {
        entries.withLock { entries in
            guard entries[tokenId]?.session === session else { return }
            entries[tokenId]?.keys[objectID] = key
        }
    }

    func forget(_ tokenId: String) {
        entries.withLock { _ = $0.removeValue(forKey: tokenId) }
    }

    /// Removes and returns cached sessions (all, or one token's) for the caller to log out on the right queue.
    func drain(tokenId: String?) -> [(String, Session)] {
        entries.withLock { entries in
            let chosen = entries.filter { tokenId == nil || $0.key == tokenId }
            for key in chosen.keys { entries[key] = nil }
            return chosen.map { ($0.key, $0.value.session) }
        }
    }
}
