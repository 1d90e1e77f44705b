import Foundation
public import KysoAPI
public import KysoCore
import KysoStore

/// A request to set or replace one secret of a bound declarant account (issue 13: changing a password took an
/// unbind and a bind).
public struct SecretOrder: Sendable {
    public var account: String
    public var kind: String
    public var value: SecretBytes
    public var sealing: SealingMode
    public var authorization: KeyAuthorization

    public init(account: String, kind: String, value: SecretBytes, sealing: SealingMode, authorization: KeyAuthorization) {
        self.account = account
        self.kind = kind
        self.value = value
        self.sealing = sealing
        self.authorization = authorization
    }
}

extension AccountService {
    /// Sets a secret on an existing binding under the rules a binding's secrets follow: the value checked first (a
    /// bad one changes nothing and never touches the token), sealed as `sealing` says (`auto`: to the token when a
    /// PIN came and its key can decrypt, else with the host key; a token sealing is proven on the token before it is
    /// stored), stored with its audit record in one transaction, refusals audited too.
    public func storeSecret(_ order: SecretOrder, caller: PeerCredentials) async -> Result<BindingInfo, OperationFailure> {
        func refuse(_ failure: OperationFailure, certificate: String? = nil, what: String) async -> Result<BindingInfo, OperationFailure> {
            await audit(.secretStore, caller: caller, certificate: certificate, outcome: failure.auditOutcome,
                        detail: "\(what): \(failure.code.rawValue)")
            return .failure(failure)
        }
        let what = "\(order.account.prefix(16)) \(order.kind.prefix(24))"
        guard let kind = SecretKind(rawValue: order.kind) else {
            return await refuse(BackupProblems.secretKindUnknown, what: what)
        }
        guard let userId = try? UserID(order.account) else {
            return await refuse(BackupProblems.secretsAreDeclarants, what: what)
        }
        guard let binding = bindings.first(where: { $0.key == .declarant(userId) }) else {
            return await refuse(BackupProblems.notBound(userId.value), what: what)
        }
        let sha256 = binding.certificate.sha256
        var plain = AccountSecrets.Plain()
        defer { plain.wipe() }
        do throws(AccountFieldError) {
            if kind == .password {
                plain.values.append((kind, try VNACCSPassword(order.value).revealed.bytes))
            } else {
                plain.values.append((kind, try TerminalAccessKey(order.value).revealed.bytes))
            }
        } catch {
            return await refuse(AccountProblems.field(error), certificate: sha256, what: what)
        }
        let now = Date()
        let sealed: [SealedSecret]
        let wantsToken = order.sealing == .token || (order.sealing == .auto && order.authorization.pin != nil)
        if let certificate = inventory.certificate(sha256: sha256) {
            switch await secrets.seal(plain, userId: userId, certificate: certificate, mode: order.sealing,
                                      authorization: order.authorization, now: now) {
            case .failure(let failure): return await refuse(failure, certificate: sha256, what: what)
            case .success(let made): sealed = made
            }
        } else if wantsToken {
            // Sealing to the token is proven on it before anything is stored: it must be plugged in.
            return await refuse(AccountProblems.certificateNotPresent(sha256), certificate: sha256, what: what)
        } else {
            do throws(SealingError) {
                sealed = try plain.values.map { (kind, bytes) throws(SealingError) in
                    try secrets.host.sealSecret(bytes, userId: userId, kind: kind, createdAt: now)
                }
            } catch {
                return await refuse(BackupProblems.sealingFailed(error), certificate: sha256, what: what)
            }
        }
        guard let secret = sealed.first else { return .failure(OperationFailure(.internalError)) }
        let entry = auditEntry(.secretStore, caller: caller, certificate: sha256, data: nil, outcome: .success,
                               detail: "\(userId.value) \(kind.rawValue) (\(secret.sealing.name))")
        do throws(StoreError) {
            try await database.storeSecret(secret, audit: entry)
        } catch {
            return .failure(AccountProblems.store(error))
        }
        if let stored = try? await database.secretIndex(userId: userId)[userId.value] {
            secretIndex.withLock { $0[userId.value] = Self.byName(stored) }
        }
        logger.info("secret stored", metadata: ["account": "\(userId.value)", "kind": "\(kind.rawValue)", "sealing": "\(secret.sealing.name)"])
        return .success(info(account: userId.value) ?? binding.info(secrets: [:], certificatePresent: false))
    }
}
