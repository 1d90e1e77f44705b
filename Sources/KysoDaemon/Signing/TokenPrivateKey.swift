import Crypto
import _CryptoExtras
import Foundation
import PKCS11
import SwiftASN1
import X509

/// A private key that stays on its token: swift-certificates' signing paths (CMS here) call back into it,
/// and each signature is one `C_Sign` on the token. Used only on the token's own serial queue.
struct TokenPrivateKey: CustomPrivateKey {
    let session: Session
    let key: ObjectHandle
    let publicKey: Certificate.PublicKey
    let isEC: Bool

    init(session: Session, key: ObjectHandle, publicKey: Certificate.PublicKey, isEC: Bool) {
        self.session = session
        self.key = key
        self.publicKey = publicKey
        self.isEC = isEC
    }

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { isEC ? .ecdsaWithSHA256 : .sha256WithRSAEncryption }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [defaultSignatureAlgorithm] }

    func signSynchronously(bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm) throws -> Certificate.Signature {
        guard signatureAlgorithm == defaultSignatureAlgorithm else {
            throw CertificateError.unsupportedSignatureAlgorithm(reason: "the token key signs with \(defaultSignatureAlgorithm) only")
        }
        let valid: Bool
        let signature: Certificate.Signature
        if isEC {
            let digest = SHA256.hash(data: Array(bytes))
            let raw = try session.sign(mechanism: .ecdsa, key: key, data: Array(digest))
            let parsed = try P256.Signing.ECDSASignature(rawRepresentation: raw)
            valid = P256.Signing.PublicKey(publicKey)?.isValidSignature(parsed, for: digest) ?? false
            signature = try Certificate.Signature(
                signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: ArraySlice(parsed.derRepresentation)))
        } else {
            let raw = try session.sign(mechanism: .sha256RSAPKCS, key: key, data: Array(bytes))
            valid = _RSA.Signing.PublicKey(publicKey)?.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: raw), for: Array(bytes), padding: .insecurePKCS1v1_5) ?? false
            signature = try Certificate.Signature(signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: ArraySlice(raw)))
        }
        // What the key signed here (the CMS signed attributes) must verify with the certificate: a token key that
        // does not belong to its certificate is caught before the CMS leaves.
        guard valid else { throw KeyMismatch() }
        return signature
    }

    func signAsynchronously(bytes: some DataProtocol & Sendable, signatureAlgorithm: Certificate.SignatureAlgorithm) async throws -> Certificate.Signature {
        try signSynchronously(bytes: bytes, signatureAlgorithm: signatureAlgorithm)
    }

    // The key cannot leave the token, so it has no DER or PEM form.
    static let defaultPEMDiscriminator = "PRIVATE KEY"
    init(derEncoded: ASN1Node) throws { throw CertificateError.unsupportedPrivateKey(reason: "token keys are not exportable") }
    func serialize(into coder: inout DER.Serializer) throws {
        throw CertificateError.unsupportedPrivateKey(reason: "token keys are not exportable")
    }

    static func == (lhs: TokenPrivateKey, rhs: TokenPrivateKey) -> Bool {
        lhs.session === rhs.session && lhs.key == rhs.key
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(session))
        hasher.combine(key)
    }
}

/// The token's key signed, but not as its certificate's key would.
struct KeyMismatch: Error {}
