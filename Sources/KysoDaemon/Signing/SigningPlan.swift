import Crypto
import _CryptoExtras
import Foundation
import KysoAPI
import KysoCore
import PKCS11
import SwiftASN1
import X509

/// A checked signing request: which certificate and key, what exactly goes to the token, and how to check
/// the result. Everything that can be refused without touching the token is refused here.
struct SigningPlan: Sendable {
    enum Output: String, Sendable { case raw, cms }

    let tokenId: String
    let tokenSerial: String
    let certificateSHA256: String
    let objectID: [UInt8]
    let certificate: Certificate
    let verifier: SignatureVerifier
    /// The token's PIN status as the inventory last read it (what a signature on a cached login reports).
    let pin: PINStatus
    let mechanism: SignatureMechanism
    let output: Output
    /// What the caller asked to sign (nil when they sent a digest).
    let data: [UInt8]?
    let digest: [UInt8]
    let signingTime: Date

    /// Who asks: the plain signing endpoint, or the registration endpoint signing a statement it built.
    enum Purpose: Sendable { case plain, registration }

    static func make(tokenId: String, request: SignRequest, inventory: Inventory, certificates: SigningCertificates,
                     purpose: Purpose = .plain, now: Date = Date()) -> Result<SigningPlan, ProblemDetails> {
        if let origin = request.origin {
            do throws(BrowserOrigin.Refusal) { _ = try BrowserOrigin(origin) } catch {
                return .failure(SigningProblems.badRequest("origin: \(error)"))
            }
        }
        let mechanismName = request.mechanism ?? SignatureMechanism.rsaPKCS1SHA256.rawValue
        guard let mechanism = SignatureMechanism(rawValue: mechanismName) else {
            return .failure(SigningProblems.unknownMechanism(mechanismName))
        }
        guard let output = Output(rawValue: request.output ?? "raw") else {
            return .failure(SigningProblems.badRequest("output must be raw or cms"))
        }
        let data = request.data.map(Array.init)
        let digest: [UInt8]
        switch (data, request.digest) {
        case (let data?, nil): digest = Array(SHA256.hash(data: data))
        case (nil, let given?):
            guard given.count == 32 else { return .failure(SigningProblems.badRequest("digest must be a SHA-256 digest: 32 bytes, base64")) }
            guard output == .raw else { return .failure(SigningProblems.badRequest("cms output signs data; send data instead of a digest")) }
            digest = Array(given)
        default:
            return .failure(SigningProblems.badRequest("send exactly one of data and digest (base64)"))
        }
        // Only the registration endpoint signs the registration context, so a plain signature (raw or CMS) never
        // is a registration proof (RegistrationSigning).
        if purpose == .plain, let data, RegistrationSigning.isReserved(data) {
            return .failure(SigningProblems.reservedContext)
        }
        if output == .cms && mechanism == .rsaPSSSHA256 {
            return .failure(SigningProblems.badRequest("cms output uses rsa-pkcs1-sha256 or ecdsa-sha256"))
        }
        guard let token = inventory.token(id: tokenId) else { return .failure(SigningProblems.tokenNotFound(tokenId)) }
        let candidates = token.certificates.filter { request.certificate == nil || $0.sha256 == request.certificate?.lowercased() }
        let withKeys = candidates.filter(\.privateKeyOnToken)
        guard let chosen = request.certificate != nil ? candidates.first : (withKeys.count == 1 ? withKeys.first : nil) else {
            if request.certificate != nil {
                return .failure(SigningProblems.certificateNotFound("token \(tokenId) holds no certificate \(request.certificate!)"))
            }
            return .failure(withKeys.isEmpty ? SigningProblems.certificateNotFound("token \(tokenId) holds no certificate with a private key")
                : SigningProblems.badRequest("token \(tokenId) holds \(withKeys.count) keys: name the certificate (sha256)"))
        }
        guard chosen.privateKeyOnToken else { return .failure(SigningProblems.noPrivateKey(chosen.sha256)) }
        let isEC = chosen.profile.publicKey.type == .ec
        guard isEC == (mechanism == .ecdsaSHA256) else {
            return .failure(SigningProblems.badRequest("\(mechanism.rawValue) does not fit this certificate's \(isEC ? "EC" : "RSA") key"))
        }
        guard let parsed = certificates.entry(sha256: chosen.sha256, der: chosen.der) else {
            return .failure(SigningProblems.badRequest("the certificate's key type is not supported for signing"))
        }
        guard let objectID = Hex.bytes(chosen.objectId) else {
            return .failure(SigningProblems.badRequest("certificate object id is not hex"))
        }
        return .success(SigningPlan(
            tokenId: tokenId, tokenSerial: token.serialNumber, certificateSHA256: chosen.sha256, objectID: objectID,
            certificate: parsed.certificate, verifier: parsed.verifier, pin: token.pin, mechanism: mechanism, output: output,
            data: data, digest: digest, signingTime: now))
    }

    /// Blocking: finds the private key by the certificate's CKA_ID.
    func findKey(session: Session) throws(PKCS11Error) -> ObjectHandle {
        guard let key = try session.findObjects(class: .privateKey, id: objectID).first else {
            throw PKCS11Error(.returnValue(.keyHandleInvalid), function: "C_FindObjects", detail: "no private key with the certificate's CKA_ID")
        }
        return key
    }

    /// Blocking: signs on the token with `key` (from `findKey`).
    func sign(session: Session, key: ObjectHandle) throws -> [UInt8] {
        switch output {
        case .cms:
            let tokenKey = TokenPrivateKey(session: session, key: key, publicKey: certificate.publicKey, isEC: mechanism == .ecdsaSHA256)
            return try DetachedCMS.sign(data ?? [], certificate: certificate, key: tokenKey, signingTime: signingTime)
        case .raw:
            // PSS signs the digest computed here as well: p11-kit's RPC, which reaches modules in their hosts, carries
            // parameters for CKM_RSA_PKCS_PSS but not for CKM_SHA256_RSA_PKCS_PSS (0.24 answers CKR_MECHANISM_INVALID).
            let hashedByCaller = data == nil || mechanism == .ecdsaSHA256 || mechanism == .rsaPSSSHA256
            let tokenMechanism = mechanism.tokenMechanism(hashedByCaller: hashedByCaller)
            let input: [UInt8] = switch tokenMechanism {
            case .rsaPKCS: SignatureMechanism.sha256DigestInfoPrefix + digest
            case .rsaPKCSPSSOverSHA256Digest, .ecdsa: digest
            default: data ?? []
            }
            let signature = try session.sign(mechanism: tokenMechanism, key: key, data: input)
            // ECDSA leaves the token as r ‖ s; tools (openssl pkeyutl) and CMS want the DER form.
            if mechanism == .ecdsaSHA256 { return Array(try P256.Signing.ECDSASignature(rawRepresentation: signature).derRepresentation) }
            return signature
        }
    }

    /// Checks the signature with the certificate's public key (swift-crypto), independent of the token.
    /// Returns nil when the signature verifies, else the reason.
    func verificationProblem(_ signature: [UInt8]) -> String? {
        switch output {
        case .cms:
            // Checked while signing: TokenPrivateKey verifies the signed attributes' signature with the certificate.
            return nil
        case .raw:
            return verifyRaw(signature) ? nil : "the signature does not verify with the certificate's public key"
        }
    }

    private func verifyRaw(_ signature: [UInt8]) -> Bool {
        let digest = SHA256Digest(bytes: self.digest)
        switch (mechanism, verifier) {
        case (.ecdsaSHA256, .p256(let key)):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: digest)
        case (.rsaPKCS1SHA256, .rsa(let key)), (.rsaPSSSHA256, .rsa(let key)):
            let padding: _RSA.Signing.Padding = mechanism == .rsaPSSSHA256 ? .PSS : .insecurePKCS1v1_5
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: padding)
        default:
            return false
        }
    }
}

extension SHA256Digest {
    /// Rebuilds a digest value from its 32 bytes (a caller's precomputed digest). swift-crypto has no public
    /// initialiser for this; the type is a plain 32-byte value (checked), so its bytes are loaded as it.
    init(bytes: [UInt8]) {
        precondition(bytes.count == 32 && MemoryLayout<SHA256Digest>.size == 32)
        self = bytes.withUnsafeBytes { $0.loadUnaligned(as: SHA256Digest.self) }
    }
}
