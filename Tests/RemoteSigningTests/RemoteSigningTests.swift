import Crypto
import Foundation
import KysoCore
import KysoRemote
import KysoTestSupport
import Testing

/// The CSC client against `Tools/csc-test-service` on loopback with TLS from its TEST CA, both API versions.
@Suite("remote signing through the CSC API")
struct RemoteSigningTests {
    static let digest = Array(SHA256.hash(data: Array("Tờ khai hải quan số 1 — Kyso".utf8)))

    /// Authorises with the test PIN and signs `digest` with the first certificate of lab token `label`.
    static func sign(
        _ client: CSCClient, credentialID: String, digest: [UInt8] = digest, algorithm: CSCSignatureAlgorithm
    ) async throws -> [UInt8] {
        let activation = try await client.authorize(
            credentialID: credentialID, hashes: [digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        let signatures = try await client.signHash(
            activation: activation, hashes: [digest], hashAlgorithm: .sha256, signatureAlgorithm: algorithm)
        return try #require(signatures.first)
    }

    @Test("list, info and the certificate profiled exactly as the token's own", arguments: CSCAPIVersion.allCases)
    func listAndProfile(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService()
        let client = try service.client(version)
        let info = try await client.info()
        #expect(info.specs == version.rawValue)
        #expect(info.methods.contains("signatures/signHash"))
        #expect(info.methods.contains("signatures/signPolling") == (version == .v2))

        let ids = try await client.credentialIDs()
        #expect(Set(ids) == Set(service.ready.credentials))
        let now = Date()
        let credential = try await client.credential(try service.credentialID(token: "kyso-vnpt"), now: now)
        let token = try #require(service.manifest.tokens.first { $0.label == "kyso-vnpt" })
        let onToken = try Data(contentsOf: URL(fileURLWithPath: try #require(token.certificates.first).path))
        #expect(credential.certificate == Array(onToken))
        #expect(credential.profile == (try CertificateProfile(derEncoded: Array(onToken), now: now)))
        #expect(credential.profile.taxCode?.value == token.certificates.first?.taxCode)
        #expect(credential.profile.provider.provider == .vnpt)
        #expect(credential.chain.count == 2)  // provider CA, then the TEST root
        #expect(credential.signatureAlgorithm == .rsa)
        #expect(credential.authorisation.mode == .explicit)
        #expect(credential.authorisation.pin == .required)
        #expect(credential.authorisation.otp == .absent)
        await client.shutdown()
    }

    @Test("authorise with the PIN, sign a hash, verify with openssl; one signHash, one signature",
          arguments: [CSCAPIVersion.v1, .v2], [("kyso-vnpt", CSCSignatureAlgorithm.rsa), ("kyso-ec-p256", .ecdsa)])
    func signVerified(version: CSCAPIVersion, key: (label: String, algorithm: CSCSignatureAlgorithm)) async throws {
        let service = try await CSCTestService()
        let client = try service.client(version)
        let credential = try await client.credential(try service.credentialID(token: key.label))
        #expect(credential.signatureAlgorithm == key.algorithm)
        let signature = try await Self.sign(client, credentialID: credential.credentialID, algorithm: key.algorithm)
        #expect(try OpenSSLDigestCheck.verify(signature: signature, digest: Self.digest, certificate: credential.certificate))
        let stats = try service.stats()
        #expect(stats.signHashCalls == 1)
        #expect(stats.signed == [Data(Self.digest).base64EncodedString(): 1])
        await client.shutdown()
    }

    @Test("a wrong PIN is refused with the tries left, then locked; nothing is signed", arguments: CSCAPIVersion.allCases)
    func wrongPIN(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService()
        let client = try service.client(version)
        let id = try service.credentialID(token: "kyso-vnpt")
        for left in [2, 1, 0] {
            await #expect(throws: CSCError.invalidPIN(remainingAttempts: left)) {
                _ = try await client.authorize(
                    credentialID: id, hashes: [Self.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: "654321"))
            }
        }
        await #expect(throws: CSCError.pinLocked) {
            _ = try await client.authorize(credentialID: id, hashes: [Self.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        }
        #expect(try service.stats().signaturesMade == 0)
        await client.shutdown()
    }

    @Test("an online OTP: sent, read off the holder's phone, authorised once; a wrong one refused",
          arguments: CSCAPIVersion.allCases)
    func otp(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService(arguments: ["--otp", "true"])
        let client = try service.client(version)
        let credential = try await client.credential(try service.credentialID(token: "kyso-vnpt"))
        #expect(credential.authorisation.otp == .required)
        try await client.sendOTP(credentialID: credential.credentialID)
        await #expect(throws: CSCError.invalidOTP(remainingAttempts: 2)) {
            _ = try await client.authorize(
                credentialID: credential.credentialID, hashes: [Self.digest], hashAlgorithm: .sha256,
                pin: CSCSecret(utf8: CSCTestService.pin), otp: CSCSecret(utf8: "000000"))
        }
        try await client.sendOTP(credentialID: credential.credentialID)
        let otp = try service.otp(for: credential.credentialID)
        let activation = try await client.authorize(
            credentialID: credential.credentialID, hashes: [Self.digest], hashAlgorithm: .sha256,
            pin: CSCSecret(utf8: CSCTestService.pin), otp: CSCSecret(utf8: otp))
        let signature = try #require(try await client.signHash(
            activation: activation, hashes: [Self.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa).first)
        #expect(try OpenSSLDigestCheck.verify(signature: signature, digest: Self.digest, certificate: credential.certificate))
        await client.shutdown()
    }

    @Test("a SAD the service expired is refused as expired, and one past its lifetime is not even sent")
    func sadExpired() async throws {
        let service = try await CSCTestService(arguments: ["--sad-lifetime", "1"])
        let client = try service.client(.v1)
        let id = try service.credentialID(token: "kyso-vnpt")
        let first = try await client.authorize(credentialID: id, hashes: [Self.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        try service.control("expire-sads", "{}")
        await #expect(throws: CSCError.sadExpired) {
            _ = try await client.signHash(activation: first, hashes: [Self.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa)
        }
        let second = try await client.authorize(credentialID: id, hashes: [Self.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        try await Task.sleep(for: .milliseconds(1100))
        await #expect(throws: CSCError.sadExpired) {
            _ = try await client.signHash(activation: second, hashes: [Self.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa)
        }
        let stats = try service.stats()
        #expect(stats.calls["signatures/signHash"] == 1)  // the second was refused before sending
        #expect(stats.signaturesMade == 0)
        await client.shutdown()
    }
}
