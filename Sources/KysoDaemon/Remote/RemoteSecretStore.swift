import Foundation
import KysoAPI
import KysoCore
import KysoStore
#if canImport(Glibc)
import Glibc
#endif

/// The secrets remote services' logins need, sealed with kysod's host key (AES-256-GCM, as account secrets
/// sealed to the host are) in `remote-secrets/` under the state directory, one file per service and kind, mode 0600.
/// The ciphertext is bound to its service and kind, so a file copied to another name does not open.
struct RemoteSecretStore: Sendable {
    let directory: URL
    let sealer: HostSealer

    init(stateDirectory: URL, sealer: HostSealer) {
        directory = stateDirectory.appendingPathComponent("remote-secrets")
        self.sealer = sealer
    }

    static func context(service: String, kind: RemoteSecretKind) -> [UInt8] {
        Array("kyso-remote-secret-v1\u{0}\(service)\u{0}\(kind.rawValue)".utf8)
    }

    private func file(service: String, kind: RemoteSecretKind) -> URL {
        directory.appendingPathComponent("\(service).\(kind.rawValue)")
    }

    /// Seals `value` and replaces the stored one atomically (a crash leaves the old or the new, never a part).
    func store(_ value: [UInt8], service: String, kind: RemoteSecretKind) throws(SealingError) {
        let sealed = try sealer.seal(value, context: Self.context(service: service, kind: kind))
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let target = file(service: service, kind: kind)
            let temporary = directory.appendingPathComponent(".\(service).\(kind.rawValue).\(getpid()).new")
            guard FileManager.default.createFile(atPath: temporary.path, contents: Data(sealed), attributes: [.posixPermissions: 0o600]) else {
                throw SealingError(.cryptoFailure, "cannot write \(temporary.path)")
            }
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary.path)
                throw SealingError(.cryptoFailure, "cannot replace \(target.path): \(reason)")
            }
        } catch let error as SealingError {
            throw error
        } catch {
            throw SealingError(.cryptoFailure, "cannot write the sealed secret: \(error.localizedDescription)")
        }
    }

    /// The secret, opened, and when it was set; nil when it was never set.
    func open(service: String, kind: RemoteSecretKind) throws(SealingError) -> (value: [UInt8], updatedAt: Date)? {
        let path = file(service: service, kind: kind).path
        guard let sealed = FileManager.default.contents(atPath: path) else { return nil }
        let updatedAt = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
        return (try sealer.open(Array(sealed), context: Self.context(service: service, kind: kind)), updatedAt)
    }
}
