import Foundation
import KysoRemote
import KysoTestSupport
import Testing

/// Signatures the holder approves on the phone (VNPT SmartCA style): granted, refused, never answered.
@Suite("remote signing with the holder's approval")
struct RemoteApprovalTests {
    final class Announcements: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        func add(_ id: String) { lock.withLock { ids.append(id) } }
        var all: [String] { lock.withLock { ids } }
    }

    static func authorise(_ client: CSCClient, _ service: CSCTestService) async throws -> CSCSignatureActivation {
        try await client.authorize(
            credentialID: try service.credentialID(token: "kyso-vnpt"), hashes: [RemoteSigningTests.digest],
            hashAlgorithm: .sha256, pin: CSCSecret(utf8: CSCTestService.pin))
    }

    /// Waits until the service has seen `count` calls of `method` (the request is waiting for the holder).
    static func waitForCalls(_ service: CSCTestService, _ method: String, _ count: Int) async throws {
        try await eventually("\(count) \(method) call(s)", timeout: .seconds(20)) {
            (try service.stats().calls[method] ?? 0) >= count
        }
    }

    @Test("granted: v2 polls until the holder approves, v1 waits on the held call; signed once", arguments: CSCAPIVersion.allCases)
    func granted(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService(arguments: ["--approval", "manual"])
        let client = try service.client(version)
        let activation = try await Self.authorise(client, service)
        let announced = Announcements()
        let signing = Task {
            try await client.sign(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa,
                approvalTimeout: .seconds(20), awaitingApproval: { announced.add($0) })
        }
        // The holder approves only once the request is waiting: v2 has polled at least once, v1 is held open.
        try await Self.waitForCalls(service, version == .v2 ? "signatures/signPolling" : "signatures/signHash", 1)
        #expect(try service.stats().signaturesMade == 0)
        try service.control("approve", #"{"decision": "grant"}"#)
        let signatures = try await signing.value
        let credential = try await client.credential(activation.credentialID)
        #expect(try OpenSSLDigestCheck.verify(
            signature: try #require(signatures.first), digest: RemoteSigningTests.digest, certificate: credential.certificate))
        let stats = try service.stats()
        if version == .v2 {
            #expect(announced.all.count == 1)
            #expect((stats.calls["signatures/signPolling"] ?? 0) >= 2)  // "not yet", then the signature
        } else {
            #expect(announced.all.isEmpty)
        }
        #expect(stats.calls["signatures/signHash"] == 1)
        #expect(stats.signaturesMade == 1)
        await client.shutdown()
    }

    @Test("refused on the phone: access denied, nothing signed", arguments: CSCAPIVersion.allCases)
    func refused(version: CSCAPIVersion) async throws {
        let service = try await CSCTestService(arguments: ["--approval", "refuse", "--approval-delay-ms", "300"])
        let client = try service.client(version)
        let activation = try await Self.authorise(client, service)
        await #expect(throws: CSCError.accessDenied("The holder refused the signature")) {
            _ = try await client.sign(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa,
                approvalTimeout: .seconds(10))
        }
        #expect(try service.stats().signaturesMade == 0)
        await client.shutdown()
    }

    @Test("never answered: Kyso gives up at its deadline; signHash sent once, nothing signed")
    func timedOut() async throws {
        let service = try await CSCTestService(arguments: ["--approval", "manual"])
        let client = try service.client(.v2)
        let activation = try await Self.authorise(client, service)
        let started = ContinuousClock.now
        await #expect(throws: CSCError.approvalTimedOut) {
            _ = try await client.sign(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa,
                approvalTimeout: .milliseconds(1500))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(1300) && waited < .seconds(8))  // not the service's own validity (6.5 s)
        let stats = try service.stats()
        #expect(stats.calls["signatures/signHash"] == 1)
        #expect(stats.signaturesMade == 0)
        await client.shutdown()
    }

    @Test("cancelling the task stops the polling")
    func cancelled() async throws {
        let service = try await CSCTestService(arguments: ["--approval", "never"])
        let client = try service.client(.v2)
        let activation = try await Self.authorise(client, service)
        let task = Task {
            try await client.sign(
                activation: activation, hashes: [RemoteSigningTests.digest], hashAlgorithm: .sha256, signatureAlgorithm: .rsa,
                approvalTimeout: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        let started = ContinuousClock.now
        await #expect(throws: CSCError.cancelled) { _ = try await task.value }
        #expect(ContinuousClock.now - started < .seconds(5))  // the approval timeout was 30 s
        await client.shutdown()
    }
}
