import Crypto
import _CryptoExtras
import Foundation
import KysoAPI
import SwiftASN1
import X509

/// A private key that stays in its key backend: swift-certificates' signing paths (CMS here) call back into it,
/// and each signature is one operation of the backend (one `C_Sign` on a token). Used only inside `withKey`.
struct BackendPrivateKey: CustomPrivateKey, @unchecked Sendable {
    // Not Sendable in general (a session on a token's queue), but CMS signing calls it synchronously on that queue.
    let operations: any KeyOperations
    let publicKey: Certificate.PublicKey
    let isEC: Bool
    /// Tells one instance from another for Hashable (swift-certificates' key types are Hashable).
    private let identity = UUID()

    init(operations: any KeyOperations, publicKey: Certificate.PublicKey, isEC: Bool) {
        self.operations = operations
        self.publicKey = publicKey
        self.isEC = isEC
    }

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { isEC ? .ecdsaWithSHA256 : .sha256WithRSAEncryption }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [defaultSignatureAlgorithm] }

    func signSynchronously(bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm) throws -> Certificate.Signature {
        guard signatureAlgorithm == defaultSignatureAlgorithm else {
            throw CertificateError.unsupportedSignatureAlgorithm(reason: "the token key signs with \(defaultSignatureAlgorithm) only")
        }
        let raw = try rawSignature(over: Array(bytes))
        return try Certificate.Signature(signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: ArraySlice(raw)))
    }

    /// The key's signature over SHA-256 of `message` (RSA: the signature block; EC: DER `ECDSA-Sig-Value`), checked
    /// with the certificate's public key: a token key that does not belong to its certificate is caught before a
    /// CMS leaves.
    func rawSignature(over message: [UInt8]) throws -> [UInt8] {
        let digest = SHA256.hash(data: message)
        let valid: Bool
        let raw: [UInt8]
        if isEC {
            raw = try operations.sign(.ecdsaSHA256, message: message, digest: Array(digest))
            let parsed = try P256.Signing.ECDSASignature(derRepresentation: raw)
            valid = P256.Signing.PublicKey(publicKey)?.isValidSignature(parsed, for: digest) ?? false
        } else {
            raw = try operations.sign(.rsaPKCS1SHA256, message: message, digest: Array(digest))
            valid = _RSA.Signing.PublicKey(publicKey)?.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: raw), for: message, padding: .insecurePKCS1v1_5) ?? false
        }
        guard valid else { throw KeyOperationError.keyMismatch }
        return raw
    }

    func signAsynchronously(bytes: some DataProtocol & Sendable, signatureAlgorithm: Certificate.SignatureAlgorithm) async throws -> Certificate.Signature {
        try signSynchronously(bytes: bytes, signatureAlgorithm: signatureAlgorithm)
    }

    // The key cannot leave its backend, so it has no DER or PEM form.
    static let defaultPEMDiscriminator = "PRIVATE KEY"
    init(derEncoded: ASN1Node) throws { throw CertificateError.unsupportedPrivateKey(reason: "backend keys are not exportable") }
    func serialize(into coder: inout DER.Serializer) throws {
        throw CertificateError.unsupportedPrivateKey(reason: "backend keys are not exportable")
    }

    static func == (lhs: BackendPrivateKey, rhs: BackendPrivateKey) -> Bool { lhs.identity == rhs.identity }

    func hash(into hasher: inout Hasher) { hasher.combine(identity) }
}
