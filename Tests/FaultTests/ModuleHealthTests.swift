import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Module health in GET /v1/status: a module whose slot list keeps failing is `failed`, one stuck inside a call is
/// `stuck`; either way its tokens are withdrawn (the SoftHSM tokens beside it keep working), it comes back once it
/// answers, and a stuck module never holds up kysod's shutdown.
@Suite("kysod reports failing and stuck modules")
struct ModuleHealthTests {
    @Test("C_GetSlotList keeps failing: the module turns failed with its error, its token is withdrawn, and both come back once it answers",
          .timeLimit(.minutes(1)), arguments: [("general-error", "CKR_GENERAL_ERROR"), ("device-error", "CKR_DEVICE_ERROR")])
    func failingSlotList(mode: String, returnValue: String) async throws {
        let rig = try await FakeRig.start()
        var events = rig.client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        let fake = try await rig.token("kyso-fake")
        let vnpt = try await rig.token("kyso-vnpt")

        try rig.fake.misbehave(["slots": mode])
        let start = ContinuousClock.now
        let removed = try await KysoClient.next(&events, ["token.removed"], timeout: .seconds(10))
        let withdrawnAfter = ContinuousClock.now - start
        #expect(removed.data.tokenId == fake.id)
        let failed = try await KysoClient.next(&events, ["module.failed"], timeout: .seconds(5))
        #expect(failed.data.error?.contains(returnValue) == true && failed.data.error?.contains("C_GetSlotList") == true, "\(failed)")

        let module = try await rig.fakeModuleStatus()
        #expect(module.state == .failed && module.tokenCount == 0 && module.since != nil, "\(module)")
        #expect(module.error?.contains(returnValue) == true, "\(module)")
        #expect(module.watch != .none, "a module that fails at run time is still watched for its recovery")
        let labels = try await rig.client.tokens().map(\.label)
        #expect(!labels.contains("kyso-fake") && labels.contains("kyso-vnpt"), "\(labels)")
        #expect(try await rig.client.sign(vnpt.id).status == 200)
        #expect(try await rig.client.sign(fake.id).code == "token-not-found")

        try rig.fake.misbehave([:])
        _ = try await KysoClient.next(&events, ["module.recovered"], timeout: .seconds(10))
        let inserted = try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(5))
        #expect(inserted.data.token?.id == fake.id)
        let healed = try await rig.fakeModuleStatus()
        #expect(healed.state == .loaded && healed.error == nil && healed.since == nil && healed.tokenCount == 1, "\(healed)")
        print("fault: C_GetSlotList \(returnValue) → module failed, its token withdrawn after \(withdrawnAfter); recovered with its token")
        #expect(try await rig.daemon.stopOrExplain() == 0)
    }

    @Test("C_GetSlotList hangs: past the deadline the module is stuck with its pending call, its token withdrawn, status answering meanwhile; released, it is loaded again",
          .timeLimit(.minutes(1)))
    func stuckSlotList() async throws {
        let rig = try await FakeRig.start(configuration: #"{"signDeadlineSeconds": 2}"#)
        var events = rig.client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        let fake = try await rig.token("kyso-fake")
        let vnpt = try await rig.token("kyso-vnpt")

        try rig.fake.misbehave(["slots": "hang"])
        try await rig.fake.waitFor("C_GetSlotList hang")
        let hungAt = ContinuousClock.now
        let removed = try await KysoClient.next(&events, ["token.removed"], timeout: .seconds(10))
        let detectedAfter = ContinuousClock.now - hungAt
        #expect(removed.data.tokenId == fake.id)
        // The deadline is 2 s and the watchdog looks every deadline/4; the upper bound leaves room for a loaded CI machine.
        #expect(detectedAfter < .seconds(6), "stuck detected after \(detectedAfter)")
        let failed = try await KysoClient.next(&events, ["module.stuck"], timeout: .seconds(5))
        #expect(failed.data.error?.contains("C_GetSlotList") == true, "\(failed)")

        // The module stays stuck as long as the call hangs (each new host hangs in it again and is killed again): any answer at all shows status does not wait on it.
        let module = try await rig.fakeModuleStatus()
        #expect(module.state == .stuck && module.pendingCall == "C_GetSlotList" && module.tokenCount == 0, "\(module)")
        // Not declared before the deadline: from the call's start (kysod's clock) to the withdrawal.
        let declaredAfter = module.since.map { removed.time.timeIntervalSince($0) }
        #expect(declaredAfter.map { $0 >= 1.9 } == true, "declared stuck \(String(describing: declaredAfter)) s after the call began: \(module)")
        #expect(try await rig.client.sign(vnpt.id).status == 200)
        let metrics = String(decoding: try await rig.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"kysod_modules{state="stuck"} 1"#) && metrics.contains(#"kysod_modules{state="loaded"} 1"#),
                "\(metrics.split(separator: "\n").filter { $0.contains("kysod_modules") })")
        // The stuck status and the module.stuck event keep to the OpenAPI document.
        try OpenAPISchema.check("StatusResponse", [try await rig.client.request(.GET, "/v1/status").body], in: rig.fake.directory)
        try OpenAPISchema.check("DaemonEvent", [removed, failed].map { Array(try APIJSON.encoder().encode($0)) }, in: rig.fake.directory)

        // kyso status and kyso doctor say so; doctor's own look at the module gives up after --module-timeout.
        let kyso = Lab.productsDirectory.appendingPathComponent("kyso").path
        let statusText = String(decoding: try Shell.run(kyso, ["status", "--socket", rig.daemon.socketPath]), as: UTF8.self)
        #expect(statusText.contains("STUCK in C_GetSlotList") && statusText.contains("fix:"), "\(statusText)")
        let doctorStart = ContinuousClock.now
        let doctor: String
        do {
            doctor = String(decoding: try Shell.run(kyso, ["doctor", "--no-registered-modules", "--module", try FakeModule.libraryPath,
                                                           "--module-timeout", "2", "--socket", rig.daemon.socketPath, "--json"],
                                                    environment: rig.fake.environment), as: UTF8.self)
        } catch let failure as Shell.Failure {
            #expect(failure.status == 1, "\(failure)")
            doctor = failure.output
        }
        let doctorTook = ContinuousClock.now - doctorStart
        let report = try #require(try JSONSerialization.jsonObject(with: Data(doctor.utf8)) as? [String: Any], "\(doctor)")
        let problems = (report["problems"] as? [[String: Any]] ?? []).compactMap { $0["what"] as? String }
        #expect(problems.contains { $0.contains("kysod reports") && $0.contains("stuck") && $0.contains("C_GetSlotList") }, "\(problems)")
        #expect(problems.contains { $0.contains("did not answer within 2 s") }, "\(problems)")
        #expect(doctorTook < .seconds(8), "kyso doctor took \(doctorTook) with a stuck module")

        try rig.fake.misbehave([:])
        // The next host starts after the restart backoff, which grew while each host hung again (0, 0.5, 1, 2 s …).
        _ = try await KysoClient.next(&events, ["module.recovered"], timeout: .seconds(12))
        let inserted = try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(5))
        #expect(inserted.data.token?.id == fake.id)
        let healed = try await rig.fakeModuleStatus()
        #expect(healed.state == .loaded && (healed.host?.restarts ?? 0) >= 1 && healed.host?.crashes == 0, "\(healed)")
        let statusLine = statusText.split(separator: "\n").first { $0.contains("STUCK") }.map(String.init) ?? ""
        print("fault: C_GetSlotList hang → module stuck \(declaredAfter.map { String(format: "%.2f s", $0) } ?? "?") after the call began (deadline 2 s), its token withdrawn; kyso status:\(statusLine); kyso doctor gave up after \(doctorTook); released → loaded with its token")
        #expect(try await rig.daemon.stopOrExplain() == 0)
    }

    @Test("SIGTERM while a module loaded into kysod is stuck in C_GetSlotList: kysod leaves its C_Finalize out, logs it, and exits 0 at once",
          .timeLimit(.minutes(1)))
    func sigtermWhileStuck() async throws {
        let rig = try await FakeRig.start(configuration: #"{"signDeadlineSeconds": 1}"#, isolation: "in-process")
        try rig.fake.misbehave(["slots": "hang"])
        try await rig.fake.waitFor("C_GetSlotList hang")
        #expect(try await eventually(timeout: .seconds(5)) { try await rig.fakeModuleStatus().state == .stuck })
        let start = ContinuousClock.now
        let status = try await rig.daemon.stopOrExplain(timeout: .seconds(10))
        let took = ContinuousClock.now - start
        #expect(status == 0)
        #expect(took < .seconds(5), "shutdown took \(took)")
        #expect(rig.fake.count("C_Finalize") == 0, "C_Finalize was called while C_GetSlotList was still running")
        #expect(rig.daemon.log().contains("not finalising the module"), "\(rig.daemon.log().suffix(1500))")
        print("fault: SIGTERM with a module stuck in C_GetSlotList → kysod exited \(status) after \(took), that module not finalised")
        try rig.fake.misbehave([:])
    }

    @Test("C_Finalize hangs at shutdown in a module loaded into kysod: kysod stops waiting for it after 5 s and exits 0", .timeLimit(.minutes(1)))
    func finalizeHangs() async throws {
        let rig = try await FakeRig.start(isolation: "in-process")
        try rig.fake.misbehave(["finalize": "hang"])
        let start = ContinuousClock.now
        let status = try await rig.daemon.stopOrExplain(timeout: .seconds(15))
        let took = ContinuousClock.now - start
        #expect(status == 0)
        #expect(rig.fake.count("C_Finalize hang") == 1)
        #expect(took >= .milliseconds(4500) && took < .seconds(10), "shutdown took \(took)")
        #expect(rig.daemon.log().contains("C_Finalize did not return in time"), "\(rig.daemon.log().suffix(1500))")
        print("fault: C_Finalize hangs → kysod exited \(status) after \(took)")
    }
}

extension FakeRig {
    /// The fake module's entry in GET /v1/status.
    func fakeModuleStatus() async throws -> ModuleStatus {
        let status = try #require(try await client.status().status)
        let path = try FakeModule.libraryPath
        return try #require(status.modules.first { $0.path == path }, "\(status.modules)")
    }
}

/// Validates JSON documents against a schema of Sources/KysoAPI/openapi.yaml with Tests/DaemonTests/openapi-check.py.
enum OpenAPISchema {
    static func check(_ schema: String, _ documents: [[UInt8]], in folder: URL) throws {
        let file = folder.appendingPathComponent("\(schema)-\(UUID().uuidString).jsonl")
        try Data(documents.map { $0 + Array("\n".utf8) }.joined()).write(to: file)
        do {
            try Shell.run("python3", [Lab.repositoryRoot.appendingPathComponent("Tests/DaemonTests/openapi-check.py").path, "schema",
                                      Lab.repositoryRoot.appendingPathComponent("Sources/KysoAPI/openapi.yaml").path, schema, file.path])
        } catch let failure as Shell.Failure {
            Issue.record("not a valid \(schema) by openapi.yaml: \(failure.output)")
        }
    }
}
