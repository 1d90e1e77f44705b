import Foundation
import KysoAPI
import KysoStore
import KysoTestSupport
import Testing

/// kysod's state directory on a tiny tmpfs that fills up: the binding is refused with a clear problem, nothing is
/// half-written, and binding works again once there is room, without a restart.
@Suite("kysod with a full state directory", .enabled(if: SmallFilesystem.isPossible, "needs root and mount -t tmpfs"))
struct StateFullTests {
    @Test("binding on a full disk: 500 store-error naming the full disk, kysod healthy, integrity_check ok, binding works once there is room",
          .timeLimit(.minutes(1)))
    func fullStateDirectory() async throws {
        let filesystem = try SmallFilesystem(megabytes: 4)
        defer { filesystem.unmount() }
        let (directory, _) = try await Lab.copy()
        let state = filesystem.mountPoint.appendingPathComponent("state")
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--state-dir", state.path],
            environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        let client = KysoClient(socketPath: daemon.socketPath)
        let token = try #require(try await client.tokens().first { $0.label == "kyso-vnpt" })
        let certificate = try #require(token.certificates.first)
        let registered = try await client.request(.POST, "/v1/registrations", body: Array(try APIJSON.encoder().encode(RegistrationRequest(
            role: .declarant, taxCode: try #require(certificate.profile.taxCode?.value), userId: "FULL0001", terminalId: "TERM01",
            certificate: certificate.sha256, pin: "123456"))))
        let registration = try registered.decode(RegistrationResponse.self)
        let bindBody = Array(try APIJSON.encoder().encode(BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: "k3y0f16charsAbcd", password: "pw123456")))

        let filler = try filesystem.fill()
        let refused = try await client.request(.POST, "/v1/bindings", body: bindBody)
        let problem = try APIJSON.decoder().decode(ProblemDetails.self, from: Data(refused.body))
        print("fault: state directory full → bind HTTP \(refused.status) \(problem.code): \(problem.detail ?? "")")
        #expect(refused.status == 500 || refused.status == 507, "\(problem)")
        #expect(problem.code == "store-error", "\(problem)")
        #expect((problem.detail ?? "").lowercased().contains("full"), "the problem does not say the disk is full: \(problem)")
        #expect(try await client.status().code == 200)
        #expect(try await client.request(.GET, "/v1/bindings").decode(BindingListResponse.self).bindings.isEmpty)

        // Room again: the same binding goes through, once.
        try FileManager.default.removeItem(at: filler)
        let bound = try await client.request(.POST, "/v1/bindings", body: bindBody)
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        #expect(try await client.request(.GET, "/v1/bindings").decode(BindingListResponse.self).bindings.map(\.account) == ["FULL0001"])
        #expect(try await daemon.stop() == 0)

        let database = try KysoDatabase(stateDirectory: state)
        #expect(try database.integrityProblems().isEmpty)
    }
}
