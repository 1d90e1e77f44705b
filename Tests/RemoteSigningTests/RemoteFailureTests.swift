import Foundation
import KysoRemote
import KysoTestSupport
import Testing

/// The service down, slow, failing, or not trusted: clear errors, retries only where repeating is safe.
@Suite("remote signing when the service misbehaves")
struct RemoteFailureTests {
    @Test("the service down: unreachable, after the bounded retries")
    func serviceDown() async throws {
        let service = try await CSCTestService()
        let client = try service.client(.v1)
        try await service.stop()
        let started = ContinuousClock.now
        await #expect {
            _ = try await client.credentialIDs()
        } throws: { error in
            if case CSCError.unreachable(let method, _) = error { return method == "auth/login" }
            return false
        }
        // Refused, not timed out (that would be CSCError.timedOut); the bound only catches a hang, with room for
        // three attempts on a loaded 2-core test machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        await client.shutdown()
    }

    @Test("a slow service hits the request timeout")
    func slow() async throws {
        let service = try await CSCTestService()
        let client = try service.client(.v2) { $0.requestTimeout = .seconds(1) }
        try await client.login()  // only credentials/list is slow, and only it is timed
        try service.control("behaviour", #"{"delayMs": {"credentials/list": 8000}}"#)
        let started = ContinuousClock.now
        await #expect(throws: CSCError.timedOut(method: "credentials/list")) {
            _ = try await client.credentialIDs()
        }
        // The 1 s timeout, not the service's 8 s answer, ended the call (with room for a loaded test machine).
        #expect(ContinuousClock.now - started < .seconds(5))
        await client.shutdown()
    }

    @Test("a slow signHash times out and is never sent again")
    func slowSignHashNotRepeated() async throws {
        let service = try await CSCTestService()
        let client = try service.client(.v1) { $0.requestTimeout = .seconds(1) }
        let id = try service.credentialID(token: "kyso-vnpt")
        let activation = try await client.authorize(
            credentialID: id, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        try service.control("behaviour", #"{"delayMs": {"signatures/signHash": 2500}}"#)
        await #expect(throws: CSCError.timedOut(method: "signatures/signHash")) {
            _ = try await client.signHash(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa)
        }
        try await Task.sleep(for: .seconds(2))  // let the service finish the signature it was asked for
        let stats = try service.stats()
        #expect(stats.calls["signatures/signHash"] == 1)
        #expect(stats.signed.values.allSatisfy { $0 == 1 })
        await client.shutdown()
    }

    @Test("a passing 503 is retried for credentials/list, never for signHash")
    func retries() async throws {
        let service = try await CSCTestService()
        let client = try service.client(.v2)
        try service.control("behaviour", #"{"fail": {"credentials/list": {"status": 503, "count": 2}}}"#)
        #expect(try await client.credentialIDs().count == 2)
        #expect(try service.stats().calls["credentials/list"] == 3)

        let id = try service.credentialID(token: "kyso-vnpt")
        let activation = try await client.authorize(
            credentialID: id, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
        try service.control("behaviour", #"{"fail": {"signatures/signHash": {"status": 503, "count": 1}}}"#)
        await #expect(throws: CSCError.serviceError(status: 503, code: "server_error", description: "Injected failure")) {
            _ = try await client.signHash(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa)
        }
        #expect(try service.stats().calls["signatures/signHash"] == 1)
        await client.shutdown()
    }

    @Test("the TEST CA is trusted only when configured: the system store alone refuses the service")
    func trust() async throws {
        let service = try await CSCTestService()
        let client = try service.client(.v1) { $0.extraTrustRootsFile = nil }
        await #expect {
            _ = try await client.info()
        } throws: { error in
            if case CSCError.tlsFailure = error { return true }
            return false
        }
        await client.shutdown()
    }

    @Test("a wrong service login is reported as such", arguments: CSCAPIVersion.allCases)
    func loginRejected(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService()
        let basic = try service.client(version) { $0.login = .basic(username: CSCTestService.user, password: "wrong") }
        await #expect(throws: CSCError.loginRejected("An error occurred during authentication process")) {
            _ = try await basic.credentialIDs()
        }
        let oauth = try service.client(version) {
            $0.login = .clientCredentials(clientID: CSCTestService.clientID, clientSecret: CSCTestService.clientSecret)
            $0.userID = CSCTestService.user
        }
        #expect(try await oauth.credentialIDs().count == 2)
        await basic.shutdown()
        await oauth.shutdown()
    }
}
