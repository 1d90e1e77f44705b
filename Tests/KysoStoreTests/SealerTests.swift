import Crypto
import Foundation
import KysoTestSupport
import KysoCore
import KysoStore
import Testing
import X509
import _CryptoExtras

@Suite struct HostSealerTests {
    let userId = try! UserID("AB12C001")

    @Test func createsAPrivateKeyFileOnceAndReusesIt() throws {
        let folder = try TemporaryDirectory()
        let first = try HostSealer(stateDirectory: folder.url)
        let path = folder.file(HostSealer.keyFileName)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)

        let secret = try first.sealSecret(Array("ACCESSKEY0000001".utf8), userId: userId, kind: .terminalAccessKey, createdAt: Sample.now)
        #expect(secret.sealing == .host)
        #expect(!secret.ciphertext.starts(with: Array("ACCESSKEY".utf8)))
        let second = try HostSealer(stateDirectory: folder.url)
        #expect(try second.openSecret(secret) == Array("ACCESSKEY0000001".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == [HostSealer.keyFileName])
    }

    @Test func aMovedOrTamperedSecretDoesNotOpen() throws {
        let sealer = HostSealer(key: SymmetricKey(size: .bits256))
        let secret = try sealer.sealSecret(Array("PASS1234".utf8), userId: userId, kind: .password, createdAt: Sample.now)
        let moved = SealedSecret(
            userId: try UserID("AB12C002"), kind: .password, sealing: .host, ciphertext: secret.ciphertext, createdAt: Sample.now)
        #expect(throws: SealingError(.cannotOpen, "")) { try sealer.openSecret(moved) }
        let otherKind = SealedSecret(
            userId: userId, kind: .terminalAccessKey, sealing: .host, ciphertext: secret.ciphertext, createdAt: Sample.now)
        #expect(throws: SealingError(.cannotOpen, "")) { try sealer.openSecret(otherKind) }
        var flipped = secret.ciphertext
        flipped[flipped.count / 2] ^= 1
        #expect(throws: SealingError(.cannotOpen, "")) {
            try sealer.open(flipped, context: SealedSecret.context(userId: userId, kind: .password))
        }
        #expect(throws: SealingError(.cannotOpen, "")) {
            try HostSealer(key: SymmetricKey(size: .bits256)).openSecret(secret)
        }
    }

    @Test func anExposedOrDamagedKeyFileIsRefused() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file(HostSealer.keyFileName)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 32), attributes: [.posixPermissions: 0o644]))
        #expect(throws: SealingError(.hostKeyUnusable, "")) { try HostSealer(stateDirectory: folder.url) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        _ = try HostSealer(stateDirectory: folder.url)
        try Data(count: 31).write(to: URL(fileURLWithPath: path))
        #expect(throws: SealingError(.hostKeyUnusable, "")) { try HostSealer(stateDirectory: folder.url) }
    }
}

@Suite struct CertificateSealerTests {
    let userId = try! UserID("AB12C001")

    /// A self-signed certificate for `key`, with the given key usage.
    func certificate(
        _ key: Certificate.PrivateKey, keyUsage: KeyUsage?, algorithm: Certificate.SignatureAlgorithm = .sha256WithRSAEncryption
    ) throws -> [UInt8] {
        let name = try DistinguishedName { CommonName("Kyso sealing TEST") }
        let extensions = try Certificate.Extensions {
            if let keyUsage { keyUsage }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: Sample.now.addingTimeInterval(-3600), notValidAfter: Sample.now.addingTimeInterval(86_400),
            issuer: name, subject: name, signatureAlgorithm: algorithm, extensions: extensions,
            issuerPrivateKey: key)
        return try certificate.serializeAsPEM().derBytes
    }

    @Test func sealsToTheCertificateKeyAndOnlyThatKeyOpensIt() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let der = try certificate(Certificate.PrivateKey(rsa), keyUsage: KeyUsage(digitalSignature: true, keyEncipherment: true))
        #expect(CertificateSealer.canSeal(to: der))
        let secret = try CertificateSealer.sealSecret(
            Array("ACCESSKEY0000001".utf8), userId: userId, kind: .terminalAccessKey, to: der, createdAt: Sample.now)
        #expect(secret.sealing == .token(certificateSha256: SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined(), oaep: .sha256))
        #expect(secret.ciphertext.count == 256)

        // What the token's C_Decrypt (CKM_RSA_PKCS_OAEP, SHA-256) will do, done here with the private key.
        let decryptor = try _RSA.Encryption.PrivateKey(derRepresentation: rsa.derRepresentation)
        let decrypted = Array(try decryptor.decrypt(secret.ciphertext, padding: .PKCS1_OAEP_SHA256))
        let context = SealedSecret.context(userId: userId, kind: .terminalAccessKey)
        #expect(try CertificateSealer.unwrap(decrypted: decrypted, context: context) == Array("ACCESSKEY0000001".utf8))
        #expect(throws: SealingError(.cannotOpen, "")) {
            try CertificateSealer.unwrap(decrypted: decrypted, context: SealedSecret.context(userId: userId, kind: .password))
        }
        // OAEP is randomised: sealing twice gives different ciphertexts.
        let again = try CertificateSealer.seal(secret: Array("ACCESSKEY0000001".utf8), to: der, context: context)
        #expect(again != secret.ciphertext)
    }

    @Test func unsuitableCertificatesAreRefused() throws {
        let signingOnly = try certificate(
            Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048)),
            keyUsage: KeyUsage(digitalSignature: true, nonRepudiation: true))
        #expect(throws: SealingError(.keyUsageForbidsEncryption, "")) {
            try CertificateSealer.seal(secret: [1], to: signingOnly, context: [])
        }
        let ec = try certificate(Certificate.PrivateKey(P256.Signing.PrivateKey()), keyUsage: nil, algorithm: .ecdsaWithSHA256)
        #expect(throws: SealingError(.certificateUnsuitable, "")) { try CertificateSealer.seal(secret: [1], to: ec, context: []) }
        #expect(!CertificateSealer.canSeal(to: ec))
        #expect(throws: SealingError(.certificateUnsuitable, "")) {
            try CertificateSealer.seal(secret: [1], to: [0x30, 0x03, 0x02, 0x01, 0x00], context: [])
        }
        let rsa = try certificate(Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048)), keyUsage: nil)
        #expect(throws: SealingError(.tooLong, "")) {
            try CertificateSealer.seal(secret: Array(repeating: 0x41, count: 300), to: rsa, context: [])
        }
    }
}
