import Crypto
import _CryptoExtras
import Foundation
import KysoCore
import PKCS11
import KysoTestSupport
import Testing
import X509

@Suite("signing on SoftHSM with every supported mechanism")
struct SigningTests {
    static let message = Array("Tờ khai hải quan số 10123456789 — Kyso test".utf8)

    /// DigestInfo header for SHA-256 (RFC 8017 §9.2, note 1): what CKM_RSA_PKCS expects in front of the hash.
    static let sha256DigestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]

    @Test("RSA: PKCS#1 v1.5 and PSS, hashed by the token or by us, verify with the certificate's key",
          arguments: [SigningMechanism.sha256RSAPKCS, .rsaPKCS, .sha256RSAPKCSPSS, .rsaPKCSPSSOverSHA256Digest])
    func rsa(mechanism: SigningMechanism) async throws {
        try await SoftHSMLab.with { lab, module in
            let (session, key, certificate) = try Self.openKey(lab: lab, module: module, kind: "enterprise")
            defer { session.close() }
            let digest = Array(SHA256.hash(data: Self.message))
            let input: [UInt8] = switch mechanism {
            case .rsaPKCS: Self.sha256DigestInfoPrefix + digest
            case .rsaPKCSPSSOverSHA256Digest: digest
            default: Self.message
            }
            let signature = try session.sign(mechanism: mechanism, key: key, data: input)
            #expect(signature.count == 256)
            let publicKey = try #require(_RSA.Signing.PublicKey(certificate.publicKey))
            let pss = mechanism == .sha256RSAPKCSPSS || mechanism == .rsaPKCSPSSOverSHA256Digest
            let padding: _RSA.Signing.Padding = pss ? .PSS : .insecurePKCS1v1_5
            #expect(publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: Self.message, padding: padding))
            // The same signature checked by a second, independent implementation.
            try OpenSSL.verify(signature: signature, message: Self.message, certificate: certificate, pss: pss)
            #expect(!publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: Self.message + [0], padding: padding))
        }
    }

    @Test("ECDSA P-256 over a SHA-256 digest verifies with the certificate's key")
    func ecdsa() async throws {
        try await SoftHSMLab.with { lab, module in
            let (session, key, certificate) = try Self.openKey(lab: lab, module: module, kind: "ec")
            defer { session.close() }
            let digest = SHA256.hash(data: Self.message)
            let signature = try session.sign(mechanism: .ecdsa, key: key, data: Array(digest))
            #expect(signature.count == 64)
            let publicKey = try #require(P256.Signing.PublicKey(certificate.publicKey))
            let parsed = try P256.Signing.ECDSASignature(rawRepresentation: signature)
            #expect(publicKey.isValidSignature(parsed, for: digest))
            try OpenSSL.verify(signature: Array(parsed.derRepresentation), message: Self.message, certificate: certificate, pss: false)
        }
    }

    /// Logs in to the first lab token of `kind` and returns its private key with the matching certificate.
    static func openKey(lab: SoftHSMLab, module: PKCS11Module, kind: String) throws -> (Session, ObjectHandle, Certificate) {
        let token = try #require(lab.manifest.tokens.first { $0.kind == kind })
        let entry = try #require(token.certificates.first)
        let slot = try #require(try module.slots().first { try module.tokenInfo($0).label == token.label })
        let session = try module.openSession(slot: slot)
        try session.login(pin: Array(token.pin.utf8))
        let id = try #require(Hex.bytes(entry.idHex))
        let key = try #require(try session.findObjects(class: .privateKey, id: id).first)
        let certificateObject = try #require(try session.findObjects(class: .certificate, id: id).first)
        let der = try #require(try session.attribute(.value, of: certificateObject))
        return (session, key, try Certificate(derEncoded: der))
    }
}

/// Verifies with the `openssl` command, so a signature is not only judged by the library that checks our code.
enum OpenSSL {
    static func verify(signature: [UInt8], message: [UInt8], certificate: Certificate, pss: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificatePEM = try certificate.serializeAsPEM().pemString
        try certificatePEM.write(to: folder.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try Data(signature).write(to: folder.appendingPathComponent("sig"))
        try Data(message).write(to: folder.appendingPathComponent("msg"))
        let publicKey = try Shell.run("openssl", ["x509", "-in", folder.appendingPathComponent("cert.pem").path, "-pubkey", "-noout"])
        try publicKey.write(to: folder.appendingPathComponent("pub.pem"))
        var arguments = ["dgst", "-sha256", "-verify", folder.appendingPathComponent("pub.pem").path,
                         "-signature", folder.appendingPathComponent("sig").path]
        if pss { arguments += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] }
        arguments.append(folder.appendingPathComponent("msg").path)
        let output = String(decoding: try Shell.run("openssl", arguments), as: UTF8.self)
        #expect(output.contains("Verified OK"))
    }
}
