import Foundation
import KysoAPI
import KysoCore
import KysoStore

/// Seals and opens account secrets: to the token when its key can decrypt (revealing then needs the token and its
/// PIN), else with the host key. A token sealing is proven before it is stored: what was sealed is opened on the
/// token and compared, so a token that cannot decrypt never holds the only copy of a secret.
struct AccountSecrets: Sendable {
    typealias Mode = SealingMode

    let host: HostSealer
    let signer: Signer

    /// Plain secrets of one account, kept only while sealing; wiped by `wipe()`.
    struct Plain {
        var values: [(kind: SecretKind, bytes: [UInt8])] = []
        mutating func wipe() {
            for index in values.indices { SecretBytes.wipe(&values[index].bytes) }
            values.removeAll()
        }
    }

    /// Checks a request's secrets before anything else happens, so a bad one changes nothing.
    static func plain(_ request: BindingOrder, userId: UserID?) -> Result<Plain, OperationFailure> {
        guard userId != nil else {
            if request.terminalAccessKey != nil || request.password != nil {
                return .failure(OperationFailure(.invalidField, "an admin account has no terminal access key or password to store"))
            }
            return .success(Plain())
        }
        do throws(AccountFieldError) {
            var plain = Plain()
            if let key = request.terminalAccessKey {
                plain.values.append((.terminalAccessKey, try TerminalAccessKey(key).revealed.bytes))
            }
            if let password = request.password {
                plain.values.append((.password, try VNACCSPassword(password).revealed.bytes))
            }
            return .success(plain)
        } catch {
            return .failure(AccountProblems.field(error))
        }
    }

    /// Seals `plain` for `userId` as `mode` says. `auto` seals to the token when a PIN came and the certificate's
    /// key can decrypt, and falls back to the host key only when the token cannot decrypt (a wrong PIN fails).
    func seal(_ plain: Plain, userId: UserID?, certificate: CertificateResponse, mode: Mode, authorization: KeyAuthorization,
              now: Date) async -> Result<[SealedSecret], OperationFailure> {
        guard let userId, !plain.values.isEmpty else { return .success([]) }
        let der = Array(certificate.der)
        let wantsToken = mode == .token || (mode == .auto && authorization.pin != nil && CertificateSealer.canSeal(to: der))
        if wantsToken {
            switch await sealToToken(plain, userId: userId, certificate: certificate, authorization: authorization, now: now) {
            case .success(let sealed): return .success(sealed)
            case .failure(let failure) where failure.code == .tokenSealingUnavailable && mode == .auto: break
            case .failure(let failure): return .failure(failure)
            }
        }
        do throws(SealingError) {
            return .success(try plain.values.map { (kind, bytes) throws(SealingError) in
                try host.sealSecret(bytes, userId: userId, kind: kind, createdAt: now)
            })
        } catch {
            return .failure(OperationFailure(.sealingFailed, error.reason))
        }
    }

    /// Seals with RSA-OAEP to the certificate, SHA-256 first and SHA-1 for tokens that take only that, and opens the
    /// first sealed secret on the token to prove the choice.
    private func sealToToken(_ plain: Plain, userId: UserID, certificate: CertificateResponse, authorization: KeyAuthorization,
                             now: Date) async -> Result<[SealedSecret], OperationFailure> {
        let der = Array(certificate.der)
        do throws(SealingError) {
            try CertificateSealer.checkSuitable(der)
        } catch {
            return .failure(Self.unavailable(error.reason))
        }
        let values = plain.values
        let used = await signer.withPrivateKey(certificate: certificate.sha256, authorization: authorization) { key -> Result<[SealedSecret], OperationFailure> in
            var refusals: [String] = []
            for oaep in OAEPHash.allCases {
                let sealed: [SealedSecret]
                do throws(SealingError) {
                    sealed = try values.map { (kind, bytes) throws(SealingError) in
                        try CertificateSealer.sealSecret(bytes, userId: userId, kind: kind, to: der, oaep: oaep, createdAt: now)
                    }
                } catch {
                    return .failure(Self.unavailable(error.reason))
                }
                let probe = sealed[0]
                do {
                    var opened = try key.decryptOAEP(oaep, ciphertext: probe.ciphertext)
                    defer { SecretBytes.wipe(&opened) }
                    let context = SealedSecret.context(userId: userId, kind: probe.kind)
                    guard (try? CertificateSealer.unwrap(decrypted: opened, context: context)) == values[0].bytes else {
                        return .failure(Self.unavailable("the token opened the test seal to something else"))
                    }
                    return .success(sealed)
                } catch KeyOperationError.parametersRefused(let reason) {
                    refusals.append(reason)
                } catch KeyOperationError.notPermitted(let reason) {
                    return .failure(Self.unavailable(reason))
                }
            }
            return .failure(Self.unavailable("the token refused RSA-OAEP decryption (\(refusals.joined(separator: "; ")))"))
        }
        return used.flatMap(\.value)
    }

    /// Opens a stored secret: with the host key, or on the token it was sealed to (needs the token and its PIN).
    func open(_ secret: SealedSecret, authorization: KeyAuthorization) async -> Result<SecretBytes, OperationFailure> {
        let context = SealedSecret.context(userId: secret.userId, kind: secret.kind)
        switch secret.sealing {
        case .host:
            do throws(SealingError) {
                return .success(SecretBytes(try host.openSecret(secret)))
            } catch {
                return .failure(OperationFailure(.secretUnavailable, error.reason))
            }
        case .token(let sha256, let oaep):
            let ciphertext = secret.ciphertext
            let used = await signer.withPrivateKey(certificate: sha256, authorization: authorization) { key -> Result<SecretBytes, OperationFailure> in
                var opened = try key.decryptOAEP(oaep, ciphertext: ciphertext)
                defer { SecretBytes.wipe(&opened) }
                do throws(SealingError) {
                    return .success(SecretBytes(try CertificateSealer.unwrap(decrypted: opened, context: context)))
                } catch {
                    return .failure(OperationFailure(.secretUnavailable, error.reason))
                }
            }
            return used.flatMap(\.value)
        }
    }

    static func unavailable(_ reason: String) -> OperationFailure {
        OperationFailure(.tokenSealingUnavailable, "\(reason); bind with sealing auto or host to keep it with the host key")
    }
}
