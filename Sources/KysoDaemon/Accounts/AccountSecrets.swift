import Foundation
import KysoAPI
import KysoCore
import KysoStore
import PKCS11

/// Seals and opens account secrets: to the token when its key can decrypt (revealing then needs the token and its
/// PIN), else with the host key. A token sealing is proven before it is stored: what was sealed is opened on the
/// token and compared, so a token that cannot decrypt never holds the only copy of a secret.
struct AccountSecrets: Sendable {
    enum Mode: String {
        case auto, token, host
    }

    let host: HostSealer
    let signer: Signer

    /// Plain secrets of one account, kept only while sealing; wiped by `wipe()`.
    struct Plain {
        var values: [(kind: SecretKind, bytes: [UInt8])] = []
        mutating func wipe() {
            for index in values.indices { values[index].bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            values.removeAll()
        }
    }

    /// Checks a request's secrets before anything else happens, so a bad one changes nothing.
    static func plain(_ request: BindingCreateRequest, userId: UserID?) -> Result<Plain, ProblemDetails> {
        guard userId != nil else {
            if request.terminalAccessKey != nil || request.password != nil {
                return .failure(ProblemDetails(status: 422, code: "invalid-field", title: "Invalid account field",
                                               detail: "an admin account has no terminal access key or password to store"))
            }
            return .success(Plain())
        }
        do throws(AccountFieldError) {
            var plain = Plain()
            if let key = request.terminalAccessKey {
                plain.values.append((.terminalAccessKey, Array(try TerminalAccessKey(key).revealed.utf8)))
            }
            if let password = request.password {
                plain.values.append((.password, Array(try VNACCSPassword(password).revealed.utf8)))
            }
            return .success(plain)
        } catch {
            return .failure(AccountProblems.field(error))
        }
    }

    /// Seals `plain` for `userId` as `mode` says. `auto` seals to the token when a PIN came and the certificate's
    /// key can decrypt, and falls back to the host key only when the token cannot decrypt (a wrong PIN fails).
    func seal(_ plain: Plain, userId: UserID?, certificate: CertificateResponse, mode: Mode, caller: UInt32, pin: [UInt8]?, allowFinalTry: Bool,
              now: Date) async -> Result<[SealedSecret], ProblemDetails> {
        guard let userId, !plain.values.isEmpty else { return .success([]) }
        let der = Array(certificate.der)
        let wantsToken = mode == .token || (mode == .auto && pin != nil && CertificateSealer.canSeal(to: der))
        if wantsToken {
            switch await sealToToken(plain, userId: userId, certificate: certificate, caller: caller, pin: pin, allowFinalTry: allowFinalTry, now: now) {
            case .success(let sealed): return .success(sealed)
            case .failure(let problem) where problem.code == "token-sealing-unavailable" && mode == .auto: break
            case .failure(let problem): return .failure(problem)
            }
        }
        do throws(SealingError) {
            return .success(try plain.values.map { (kind, bytes) throws(SealingError) in
                try host.sealSecret(bytes, userId: userId, kind: kind, createdAt: now)
            })
        } catch {
            return .failure(ProblemDetails(status: 500, code: "sealing-failed", title: "The secret could not be sealed", detail: error.reason))
        }
    }

    /// Seals with RSA-OAEP to the certificate, SHA-256 first and SHA-1 for tokens that take only that, and opens the
    /// first sealed secret on the token to prove the choice.
    private func sealToToken(_ plain: Plain, userId: UserID, certificate: CertificateResponse, caller: UInt32, pin: [UInt8]?, allowFinalTry: Bool,
                             now: Date) async -> Result<[SealedSecret], ProblemDetails> {
        let der = Array(certificate.der)
        do throws(SealingError) {
            try CertificateSealer.checkSuitable(der)
        } catch {
            return .failure(Self.unavailable(error.reason))
        }
        let values = plain.values
        return await signer.withPrivateKey(certificate: certificate.sha256, caller: caller, pin: pin, allowFinalTry: allowFinalTry) { (session, key) throws(PKCS11Error) -> Result<[SealedSecret], ProblemDetails> in
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
                do throws(PKCS11Error) {
                    var opened = try session.decryptOAEP(key: key, digest: oaep.digest, ciphertext: probe.ciphertext)
                    defer { opened.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
                    let context = SealedSecret.context(userId: userId, kind: probe.kind)
                    guard (try? CertificateSealer.unwrap(decrypted: opened, context: context)) == values[0].bytes else {
                        return .failure(Self.unavailable("the token opened the test seal to something else"))
                    }
                    return .success(sealed)
                } catch where Self.parametersRefused(error) {
                    refusals.append("OAEP-\(oaep.rawValue.uppercased()): \(error.returnValue?.name ?? "\(error)")")
                } catch where error.returnValue == .keyFunctionNotPermitted || error.returnValue == .keyTypeInconsistent {
                    return .failure(Self.unavailable("the token's key may not decrypt (\(error))"))
                }
            }
            return .failure(Self.unavailable("the token refused RSA-OAEP decryption (\(refusals.joined(separator: "; ")))"))
        }
    }

    /// Opens a stored secret: with the host key, or on the token it was sealed to (needs the token and its PIN).
    func open(_ secret: SealedSecret, caller: UInt32, pin: [UInt8]?, allowFinalTry: Bool) async -> Result<[UInt8], ProblemDetails> {
        let context = SealedSecret.context(userId: secret.userId, kind: secret.kind)
        switch secret.sealing {
        case .host:
            do throws(SealingError) {
                return .success(try host.openSecret(secret))
            } catch {
                return .failure(ProblemDetails(status: 500, code: "secret-unavailable", title: "The secret could not be opened", detail: error.reason))
            }
        case .token(let sha256, let oaep):
            let ciphertext = secret.ciphertext
            return await signer.withPrivateKey(certificate: sha256, caller: caller, pin: pin, allowFinalTry: allowFinalTry) { (session, key) throws(PKCS11Error) -> Result<[UInt8], ProblemDetails> in
                var opened = try session.decryptOAEP(key: key, digest: oaep.digest, ciphertext: ciphertext)
                defer { opened.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
                do throws(SealingError) {
                    return .success(try CertificateSealer.unwrap(decrypted: opened, context: context))
                } catch {
                    return .failure(ProblemDetails(status: 500, code: "secret-unavailable", title: "The secret could not be opened", detail: error.reason))
                }
            }
        }
    }

    static func unavailable(_ reason: String) -> ProblemDetails {
        ProblemDetails(status: 422, code: "token-sealing-unavailable", title: "The secret cannot be sealed to this token",
                       detail: "\(reason); bind with sealing auto or host to keep it with the host key")
    }

    /// What tokens answer to OAEP parameters they do not take (SoftHSM: CKR_ARGUMENTS_BAD for SHA-256).
    private static func parametersRefused(_ error: PKCS11Error) -> Bool {
        [.argumentsBad, .mechanismParamInvalid, .mechanismInvalid, .encryptedDataInvalid].contains(error.returnValue)
    }
}

extension OAEPHash {
    /// The PKCS#11 wrapper's name for the same hash (the store keeps its own, free of the C boundary).
    var digest: OAEPDigest {
        switch self {
        case .sha256: .sha256
        case .sha1: .sha1
        }
    }
}
