import Crypto
import _CryptoExtras
import PKCS11
import KysoTestSupport
import Testing
import X509

@Suite("RSA-OAEP decryption on SoftHSM")
struct DecryptionTests {
    static let secret = Array("TAK0123456789ABC".utf8)

    @Test("a secret encrypted to the certificate's key with OAEP-SHA1 opens on the token; SoftHSM refuses SHA-256 parameters")
    func oaep() async throws {
        try await SoftHSMLab.with { lab, module in
            let (session, key, certificate) = try SigningTests.openKey(lab: lab, module: module, kind: "enterprise")
            defer { session.close() }
            let publicKey = try #require(_RSA.Signing.PublicKey(certificate.publicKey))
            let encryptionKey = try _RSA.Encryption.PublicKey(derRepresentation: publicKey.derRepresentation)
            let ciphertext = Array(try encryptionKey.encrypt(Self.secret, padding: .PKCS1_OAEP))
            #expect(try session.decryptOAEP(key: key, digest: .sha1, ciphertext: ciphertext) == Self.secret)

            // SoftHSM 2.6 takes only SHA-1 for OAEP: a clear error naming the function, not a wrong plaintext.
            let sha256Ciphertext = Array(try encryptionKey.encrypt(Self.secret, padding: .PKCS1_OAEP_SHA256))
            let refused = #expect(throws: PKCS11Error.self) { try session.decryptOAEP(key: key, digest: .sha256, ciphertext: sha256Ciphertext) }
            #expect(refused?.function == "C_DecryptInit")
            #expect(refused?.returnValue == .argumentsBad || refused?.returnValue == .mechanismParamInvalid)

            // A ciphertext that was tampered with does not open.
            var tampered = ciphertext
            tampered[10] ^= 0x01
            #expect(throws: PKCS11Error.self) { try session.decryptOAEP(key: key, digest: .sha1, ciphertext: tampered) }
        }
    }
}
