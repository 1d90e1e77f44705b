import Crypto
import Foundation
import KysoAPI
import KysoCore
import KysoDaemon
import KysoRemote
import KysoStore
import KysoTestSupport
import Testing

/// The daemon's key-backend seam with a remote signing service behind it: what the signer will call.
@Suite("remote credentials behind the key backend")
struct RemoteKeyBackendTests {
    static func backend(
        _ service: CSCTestService, _ version: CSCAPIVersion, approvals: RemoteApprovalTests.Announcements? = nil
    ) async throws -> RemoteKeyBackend {
        let backend = RemoteKeyBackend(
            service: "lab", client: try service.client(version), approvalTimeout: .seconds(20),
            awaitingApproval: { key, _ in approvals?.add(key.tokenId) })
        try await backend.refresh()
        return backend
    }

    static func key(_ backend: RemoteKeyBackend, label: String, _ service: CSCTestService) throws -> (KeyReference, RemoteKeyBackend.Token) {
        let id = try service.credentialID(token: label)
        let token = try #require(backend.currentTokens.first { $0.credential.credentialID == id })
        return (KeyReference(tokenId: token.tokenId, certificateSHA256: token.certificateSHA256), token)
    }

    @Test("each credential is a token; RSA and ECDSA signatures through withKey verify with openssl",
          arguments: CSCAPIVersion.allCases, [("kyso-vnpt", SignatureMechanism.rsaPKCS1SHA256), ("kyso-ec-p256", .ecdsaSHA256)])
    func sign(version: CSCAPIVersion, key: (label: String, mechanism: SignatureMechanism)) async throws {
        let service = try await CSCTestService()
        let backend = try await Self.backend(service, version)
        #expect(backend.currentTokens.count == 2)
        let (reference, token) = try Self.key(backend, label: key.label, service)
        #expect(backend.holds(tokenId: reference.tokenId))
        #expect(reference.tokenId == RemoteKeyBackend.tokenId(service: "lab", credentialID: token.credential.credentialID))
        let digest = RemoteSigningTests.digest
        let outcome = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: SecretBytes("123456"), allowFinalTry: false)) { operations in
            try operations.sign(key.mechanism, message: nil, digest: digest)
        }
        let signature = try outcome.get().value
        #expect(try OpenSSLDigestCheck.verify(signature: signature, digest: digest, certificate: token.credential.certificate))
        #expect(try service.stats().signaturesMade == 1)
    }

    @Test("a wrong PIN, a missing PIN, a mechanism the key cannot do, and decryption: refused, nothing signed")
    func refusals() async throws {
        let service = try await CSCTestService()
        let backend = try await Self.backend(service, .v2)
        let (reference, _) = try Self.key(backend, label: "kyso-vnpt", service)
        let digest = RemoteSigningTests.digest
        let wrong = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: SecretBytes("000000"), allowFinalTry: false)) {
            try $0.sign(.rsaPKCS1SHA256, message: nil, digest: digest)
        }
        #expect(wrong.failureCode == .pinIncorrect)
        let missing = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: nil, allowFinalTry: false)) {
            try $0.sign(.rsaPKCS1SHA256, message: nil, digest: digest)
        }
        #expect(missing.failureCode == .pinRequired)
        let ecdsa = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: SecretBytes("123456"), allowFinalTry: false)) {
            try $0.sign(.ecdsaSHA256, message: nil, digest: digest)
        }
        #expect(ecdsa.failureCode == .mechanismUnsupported)
        let decrypt = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: SecretBytes("123456"), allowFinalTry: false)) {
            try $0.decryptOAEP(.sha256, ciphertext: [1, 2, 3])
        }
        #expect(decrypt.failureCode == .mechanismUnsupported)
        #expect(try service.stats().signaturesMade == 0)
    }

    @Test("a signature waiting for the holder is announced once, then granted")
    func approval() async throws {
        let service = try await CSCTestService(arguments: ["--approval", "grant", "--approval-delay-ms", "500"])
        let approvals = RemoteApprovalTests.Announcements()
        let backend = try await Self.backend(service, .v2, approvals: approvals)
        let (reference, token) = try Self.key(backend, label: "kyso-vnpt", service)
        let digest = RemoteSigningTests.digest
        let outcome = await backend.withKey(reference, authorization: KeyAuthorization(caller: 0, pin: SecretBytes("123456"), allowFinalTry: false)) {
            try $0.sign(.rsaPKCS1SHA256, message: nil, digest: digest)
        }
        #expect(try OpenSSLDigestCheck.verify(signature: try outcome.get().value, digest: digest, certificate: token.credential.certificate))
        #expect(approvals.all == [reference.tokenId])
    }
}

extension Result {
    var failureCode: ProblemCode? {
        if case .failure(let failure) = self, let failure = failure as? OperationFailure { return failure.code }
        return nil
    }
}
