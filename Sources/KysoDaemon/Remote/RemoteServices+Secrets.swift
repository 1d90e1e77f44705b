import Foundation
import KysoAPI
import KysoCore
import KysoStore
import KysoText

/// Setting and revealing the secrets of a service's login (admin only; every attempt audited).
extension RemoteServices {
    /// Seals `value` as service `name`'s `kind`, then asks the service again with it.
    func storeSecret(service name: String, kind text: String, value: SecretBytes) -> Result<Void, OperationFailure> {
        guard let entry = entry(name) else { return .failure(Self.unknownService(name, known: entries.map(\.settings.name))) }
        guard let kind = RemoteSecretKind(rawValue: text) else {
            return .failure(.badRequest("kind is \(RemoteSecretKind.allCases.map(\.rawValue).joined(separator: " or "))"))
        }
        guard entry.settings.login.secrets.contains(kind) else {
            return .failure(OperationFailure(.invalidField, Message("problem.remote.secretNotUsed", ["login": entry.settings.login.rawValue, "service": name, "kind": kind.rawValue])))
        }
        guard !value.isEmpty, value.count <= 1024, !value.bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            return .failure(OperationFailure(.invalidField, Message("problem.remote.secretShape", ["kind": kind.rawValue])))
        }
        do throws(SealingError) {
            try secrets.store(value.bytes, service: name, kind: kind)
        } catch {
            return .failure(OperationFailure(.sealingFailed, error.reason))
        }
        refreshSoon(name)
        return .success(())
    }

    func revealSecret(service name: String, kind text: String) -> Result<RemoteSecretResponse, OperationFailure> {
        guard entry(name) != nil else { return .failure(Self.unknownService(name, known: entries.map(\.settings.name))) }
        guard let kind = RemoteSecretKind(rawValue: text) else {
            return .failure(.badRequest("kind is \(RemoteSecretKind.allCases.map(\.rawValue).joined(separator: " or "))"))
        }
        do throws(SealingError) {
            guard let opened = try secrets.open(service: name, kind: kind) else {
                return .failure(OperationFailure(.secretNotStored, Message("problem.remote.secretNotStored", ["kind": kind.rawValue, "service": name])))
            }
            var bytes = opened.value
            defer { SecretBytes.wipe(&bytes) }
            return .success(RemoteSecretResponse(service: name, kind: kind, value: String(decoding: bytes, as: UTF8.self),
                                                 updatedAt: opened.updatedAt))
        } catch {
            return .failure(OperationFailure(.secretUnavailable, error.reason))
        }
    }

    static func unknownService(_ name: String, known: [String]) -> OperationFailure {
        Problems.notFound("no remote service \(name) is configured" + (known.isEmpty ? "" : " (configured: \(known.joined(separator: ", ")))"))
    }
}
