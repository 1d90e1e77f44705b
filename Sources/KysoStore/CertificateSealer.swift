import _CryptoExtras
public import Foundation
public import KysoCore
import SwiftASN1
import X509

/// Seals account secrets to a certificate's RSA public key (RSA-OAEP with SHA-256, or SHA-1 for tokens that take only
/// that), so that revealing them needs the token holding the private key and its PIN. Opening is the token's job
/// (`C_Decrypt` with `CKM_RSA_PKCS_OAEP`, the same hash for MGF1, no label); `unwrap` then checks the context of
/// what the token returned.
///
/// The plaintext carries `SealedSecret.context` before the secret, because OAEP here has no label to bind it to:
/// a ciphertext moved to another account or kind then fails `unwrap`.
public enum CertificateSealer {
    /// Encrypts `secret` to the certificate's public key.
    /// - Throws: `certificateUnsuitable` (not RSA ≥ 2048 bits, unreadable), `keyUsageForbidsEncryption` (a key usage
    ///   extension without keyEncipherment), `tooLong`.
    public static func seal(
        secret: [UInt8], to certificateDER: [UInt8], context: [UInt8], oaep: OAEPHash = .sha256
    ) throws(SealingError) -> [UInt8] {
        let key = try encryptionKey(certificateDER)
        let padding: _RSA.Encryption.Padding = oaep == .sha256 ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP
        let plaintext = context + [0] + secret
        guard plaintext.count <= key.maximumEncryptSize(with: padding) else {
            throw SealingError(.tooLong, "the secret is too long to seal to this certificate's key")
        }
        do {
            return Array(try key.encrypt(plaintext, padding: padding))
        } catch {
            throw SealingError(.cryptoFailure, "RSA-OAEP encryption failed: \(error)")
        }
    }

    /// Seals an account secret for the store.
    public static func sealSecret(
        _ secret: [UInt8], userId: UserID, kind: SecretKind, to certificateDER: [UInt8], oaep: OAEPHash = .sha256, createdAt: Date
    ) throws(SealingError) -> SealedSecret {
        let ciphertext = try seal(
            secret: secret, to: certificateDER, context: SealedSecret.context(userId: userId, kind: kind), oaep: oaep)
        return SealedSecret(
            userId: userId, kind: kind, sealing: .token(certificateSha256: Hex.lowercase(SHA256.hash(data: certificateDER)), oaep: oaep),
            ciphertext: ciphertext, createdAt: createdAt)
    }

    /// Whether secrets can be sealed to this certificate at all (the token must still allow `C_Decrypt`).
    public static func canSeal(to certificateDER: [UInt8]) -> Bool {
        (try? checkSuitable(certificateDER)) != nil
    }

    /// Throws why secrets cannot be sealed to this certificate: `certificateUnsuitable`, `keyUsageForbidsEncryption`.
    public static func checkSuitable(_ certificateDER: [UInt8]) throws(SealingError) {
        _ = try encryptionKey(certificateDER)
    }

    /// Checks and strips the context from what the token decrypted.
    /// - Throws: `cannotOpen` when the context is not the expected one.
    public static func unwrap(decrypted: [UInt8], context: [UInt8]) throws(SealingError) -> [UInt8] {
        let prefix = context + [0]
        guard decrypted.count >= prefix.count, decrypted.starts(with: prefix) else {
            throw SealingError(.cannotOpen, "the decrypted secret belongs to another account or kind")
        }
        return Array(decrypted.dropFirst(prefix.count))
    }

    static func encryptionKey(_ certificateDER: [UInt8]) throws(SealingError) -> _RSA.Encryption.PublicKey {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: certificateDER)
        } catch {
            throw SealingError(.certificateUnsuitable, "not an X.509 certificate")
        }
        do {
            if let usage = try certificate.extensions.keyUsage, !usage.keyEncipherment {
                throw SealingError(
                    .keyUsageForbidsEncryption, "the certificate's key usage does not allow key encipherment")
            }
        } catch let error as SealingError {
            throw error
        } catch {
            throw SealingError(.certificateUnsuitable, "the certificate's key usage extension is unreadable")
        }
        guard let signingKey = _RSA.Signing.PublicKey(certificate.publicKey) else {
            throw SealingError(.certificateUnsuitable, "the certificate's key is not RSA; only RSA keys can be sealed to")
        }
        do {
            return try _RSA.Encryption.PublicKey(derRepresentation: signingKey.derRepresentation)
        } catch {
            throw SealingError(.certificateUnsuitable, "the certificate's RSA key is shorter than 2048 bits")
        }
    }
}
