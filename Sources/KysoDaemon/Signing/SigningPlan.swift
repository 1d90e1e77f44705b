import Crypto
import _CryptoExtras
import Foundation
import KysoAPI
import KysoCore
import SwiftASN1
import X509

/// A checked signing request: which certificate and key, what exactly goes to the token, and how to check
/// the result. Everything that can be refused without touching the token is refused here.
public struct SigningPlan: Sendable {
    let tokenId: String
    let certificateSHA256: String
    let certificate: Certificate
    let verifier: SignatureVerifier
    let mechanism: SignatureMechanism
    let output: SignatureOutput
    /// What the caller asked to sign (nil when they sent a digest).
    let data: [UInt8]?
    let digest: [UInt8]
    let signingTime: Date

    /// Who asks: the plain signing endpoint, or the registration endpoint signing a statement it built.
    public enum Purpose: Sendable { case plain, registration }

    static func make(_ order: SignatureOrder, inventory: Inventory, certificates: SigningCertificates,
                     purpose: Purpose = .plain, now: Date = Date()) -> Result<SigningPlan, OperationFailure> {
        let (output, tokenId) = (order.output, order.tokenId)
        let data: [UInt8]?
        let digest: [UInt8]
        switch order.content {
        case .data(let bytes):
            data = bytes
            digest = Array(SHA256.hash(data: bytes))
        case .digest(let given):
            guard given.count == 32 else { return .failure(.badRequest("digest must be a SHA-256 digest: 32 bytes, base64")) }
            data = nil
            digest = given
        }
        // Only the registration endpoint signs the registration context, so a plain signature (raw or CMS) never
        // is a registration proof (RegistrationSigning).
        if purpose == .plain, let data, RegistrationSigning.isReserved(data) {
            return .failure(SigningProblems.reservedContext)
        }
        if output == .cms && order.mechanism == .rsaPSSSHA256 {
            return .failure(.badRequest("cms output uses rsa-pkcs1-sha256 or ecdsa-sha256"))
        }
        guard let token = inventory.token(id: tokenId) else { return .failure(SigningProblems.tokenNotFound(tokenId)) }
        let candidates = token.certificates.filter { order.certificate == nil || $0.sha256 == order.certificate }
        let withKeys = candidates.filter(\.privateKeyOnToken)
        guard let chosen = order.certificate != nil ? candidates.first : (withKeys.count == 1 ? withKeys.first : nil) else {
            if let named = order.certificate {
                return .failure(SigningProblems.certificateNotFound("token \(tokenId) holds no certificate \(named)"))
            }
            return .failure(withKeys.isEmpty ? SigningProblems.certificateNotFound("token \(tokenId) holds no certificate with a private key")
                : .badRequest("token \(tokenId) holds \(withKeys.count) keys: name the certificate (sha256)"))
        }
        guard chosen.privateKeyOnToken else { return .failure(SigningProblems.noPrivateKey(chosen.sha256)) }
        let isEC = chosen.profile.publicKey.type == .ec
        let mechanism = order.mechanism ?? (isEC ? .ecdsaSHA256 : .rsaPKCS1SHA256)
        guard isEC == (mechanism == .ecdsaSHA256) else {
            return .failure(.badRequest("\(mechanism.rawValue) does not fit this certificate's \(isEC ? "EC" : "RSA") key"))
        }
        guard let parsed = certificates.entry(sha256: chosen.sha256, der: chosen.der) else {
            return .failure(.badRequest("the certificate's key type is not supported for signing"))
        }
        return .success(SigningPlan(
            tokenId: tokenId, certificateSHA256: chosen.sha256, certificate: parsed.certificate, verifier: parsed.verifier,
            mechanism: mechanism, output: output, data: data, digest: digest, signingTime: now))
    }

    /// Blocking, inside the backend's `withKey`: signs with the key.
    func sign(with operations: any KeyOperations) throws -> [UInt8] {
        switch output {
        case .cms:
            let key = BackendPrivateKey(operations: operations, publicKey: certificate.publicKey, isEC: mechanism == .ecdsaSHA256)
            guard let data else { return try DigestCMS.sign(digest: digest, certificate: certificate, key: key, signingTime: signingTime) }
            return try DetachedCMS.sign(data, certificate: certificate, key: key, signingTime: signingTime)
        case .raw:
            return try operations.sign(mechanism, message: data, digest: digest)
        }
    }

    /// Checks the signature with the certificate's public key (swift-crypto), independent of the token.
    /// Returns nil when the signature verifies, else the reason.
    func verificationProblem(_ signature: [UInt8]) -> String? {
        switch output {
        case .cms:
            // Checked while signing: BackendPrivateKey verifies the signed attributes' signature with the certificate.
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
