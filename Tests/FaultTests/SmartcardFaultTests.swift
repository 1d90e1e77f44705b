import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KysoAPI
import KysoTestSupport
import Testing

/// kysod with OpenSC over a private pcscd that is killed, stopped, and fed malformed card answers, and cards
/// pulled in the middle of a signature.
@Suite("kysod when pcscd and cards misbehave", .serialized, .enabled(if: SmartcardLab.isAvailable))
struct SmartcardFaultTests {
    struct Fixture {
        let pcsc: ControllablePCSCD
        let daemon: DaemonProcess
        let client: KysoClient
        let labDirectory: URL

        func stop() async throws {
            defer { pcsc.stop() }
            #expect(try await daemon.stopOrExplain() == 0)
        }
    }

    /// kysod on OpenSC only, polling every 30 s: a card seen quickly was seen through the reader monitor.
    static func start() async throws -> Fixture {
        let (directory, _) = try await Lab.copy()
        let pcsc = try await ControllablePCSCD()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30"],
            environment: pcsc.environment)
        return Fixture(pcsc: pcsc, daemon: daemon, client: KysoClient(socketPath: daemon.socketPath), labDirectory: directory)
    }

    @Test("pcscd killed and restarted while kysod runs: a card inserted afterwards still shows as token.inserted",
          .timeLimit(.minutes(1)))
    func pcscdRestarted() async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        fixture.pcsc.crash()
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await fixture.client.status().code == 200, "kysod stopped answering without pcscd")
        try await fixture.pcsc.start()
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory)
        let start = ContinuousClock.now
        let card = try await VirtualPIVCard(port: fixture.pcsc.port, key: identity.key, certificate: identity.certificate)
        let inserted = try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(20))
        let delay = ContinuousClock.now - start
        #expect(inserted.data.token?.certificates.isEmpty == false)
        #expect(delay < .seconds(10), "seen after \(delay): the 30 s poll, not the reader monitor")
        let status = try #require(try await fixture.client.status().status)
        #expect(status.pcsc.state == .running)
        print("fault: pcscd kill -9 and restart → card inserted afterwards seen as token.inserted after \(delay); pcsc \(status.pcsc.state)")
        // kysod stops before the card leaves: a pull racing OpenSC's C_GetTokenInfo is cardPulledMidSignature's subject.
        try await fixture.stop()
        card.remove()
    }

    @Test("pcscd stopped (SIGSTOP) for 3 s: GET /v1/status answers within 1 s throughout, and kysod recovers after SIGCONT",
          .timeLimit(.minutes(1)))
    func pcscdStopped() async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        fixture.pcsc.signal(SIGSTOP)
        var slowest = Duration.zero
        var answers = 0
        let stoppedAt = ContinuousClock.now
        while ContinuousClock.now - stoppedAt < .seconds(3) {
            let start = ContinuousClock.now
            let answered = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { try await fixture.client.status().code }
                group.addTask { try await Task.sleep(for: .seconds(1)); return nil }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let took = ContinuousClock.now - start
            slowest = max(slowest, took)
            #expect(answered == 200, "GET /v1/status gave no answer within 1 s while pcscd was stopped")
            if answered == 200 { answers += 1 }
            try await Task.sleep(for: .milliseconds(200))
        }
        fixture.pcsc.signal(SIGCONT)
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory)
        let card = try await VirtualPIVCard(port: fixture.pcsc.port, key: identity.key, certificate: identity.certificate)
        let inserted = try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(20))
        #expect(inserted.data.token?.certificates.isEmpty == false)
        print("fault: pcscd SIGSTOP 3 s → \(answers) status answers, slowest \(slowest); after SIGCONT a card shows as token.inserted")
        try await fixture.stop()
        card.remove()
    }

    /// OpenSC 0.23 (Debian) deadlocks on itself when the card goes away inside C_GetTokenInfo: the thread in
    /// sc_pkcs15_get_pin_info → sc_unlock waits for the card mutex it already owns (gdb: the mutex's __owner is the
    /// waiting thread), and every later call into OpenSC blocks on its global lock. kysod cannot cancel that call, so
    /// it contains it: the caller gets 504 at the signing deadline, the watcher's next call blocks too and past the
    /// same deadline the module is `stuck` with its tokens withdrawn, and SIGTERM leaves its C_Finalize out. When
    /// the pull does not hit that window, the answer is a clean 410 and the token goes the ordinary way.
    @Test("a card pulled during a signature: 410, or 504 at the deadline with OpenSC stuck; either way the token is withdrawn and SIGTERM exits",
          .timeLimit(.minutes(1)))
    func cardPulledMidSignature() async throws {
        let (directory, _) = try await Lab.copy()
        let pcsc = try await ControllablePCSCD()
        defer { pcsc.stop() }
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30"],
            configuration: #"{"signDeadlineSeconds": 8}"#, environment: pcsc.environment)
        let client = KysoClient(socketPath: daemon.socketPath)
        var events = client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        let identity = try pcsc.identity(labDirectory: directory)
        // 200 ms per APDU: a signature takes seconds, so the pull lands inside it.
        let card = try await VirtualPIVCard(port: pcsc.port, key: identity.key, certificate: identity.certificate,
                                       extra: ["--apdu-delay-ms", "200"])
        let token = try #require(try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(20)).data.token)
        let signing = Task { try await client.sign(token.id) }
        try await Task.sleep(for: .milliseconds(300))
        card.remove()
        let outcome = try await signing.value
        // Never a hang for the caller: the deadline answers at the latest.
        #expect(outcome.status != 200, "the signature finished before the pull: \(outcome)")
        #expect(outcome.status >= 400 && outcome.code != "?" && outcome.elapsed < .seconds(9), "\(outcome)")
        #expect(try await client.status().code == 200)
        // Stuck is declared at the deadline (8 s) after the watcher's blocked call began, checked every 2 s.
        let gone = await eventually(timeout: .seconds(12)) { (try? await client.tokens().isEmpty) ?? false }
        let module = try await client.status().status?.modules.first
        print("fault: card pulled 300 ms into a signature → \(outcome); token gone from /v1/tokens: \(gone); module \(module?.state.rawValue ?? "?") \(module?.pendingCall ?? "")")
        #expect(gone, "the pulled card's token is still listed")
        if outcome.status == 504 {
            // The deadlock: OpenSC never returned, so the module must show stuck.
            #expect(outcome.code == "token-timeout" && module?.state == .stuck && module?.pendingCall != nil, "\(String(describing: module))")
        } else {
            #expect(outcome.status == 410 && outcome.code == "token-removed", "\(outcome) \(daemon.log().split(separator: "\n").filter { $0.contains("login") })")
        }
        let start = ContinuousClock.now
        #expect(try await daemon.stopOrExplain(timeout: .seconds(8)) == 0)
        let log = daemon.log()
        if module?.state == .stuck {
            #expect(log.contains("not finalising the module"), "\(log.suffix(1500))")
        }
        print("fault: SIGTERM after the pull → kysod exited after \(ContinuousClock.now - start)")
    }

    @Test("a card answering the certificate read malformed: kysod stays up, the token is listed without certificates, kyso doctor says so",
          .timeLimit(.minutes(1)), arguments: ["truncate-cert", "garbage-ber", "bad-sw", "short-response"])
    func malformedCertificateAnswer(fault: String) async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await KysoClient.next(&events, ["snapshot"])
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory)
        let card = try await VirtualPIVCard(port: fixture.pcsc.port, key: identity.key, certificate: identity.certificate,
                                       extra: ["--fault", fault])
        let token = try #require(try await KysoClient.next(&events, ["token.inserted"], timeout: .seconds(20)).data.token)
        #expect(token.certificates.isEmpty, "\(token.certificates.map(\.sha256))")
        #expect(fixture.daemon.isRunning)
        #expect(try await fixture.client.status().code == 200)
        #expect(try await fixture.client.tokens().map(\.id) == [token.id])
        // Signing has no certificate to sign with: refused cleanly.
        let outcome = try await fixture.client.sign(token.id)
        #expect(outcome.status == 404 && outcome.code == "certificate-not-found", "\(outcome)")

        // kyso doctor (no daemon) reads the same card and explains what a declarant sees.
        let output = try Shell.run(Lab.productsDirectory.appendingPathComponent("kyso").path,
                                   ["doctor", "--no-registered-modules", "--module", SmartcardLab.openSCModule, "--json"],
                                   environment: fixture.pcsc.environment)
        let report = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let problems = (report["problems"] as? [[String: Any]] ?? []).compactMap { $0["what"] as? String }
        let explained = problems.first { $0.contains(token.label) && ($0.contains("no certificate") || $0.contains("could not be read")) }
        #expect(explained != nil, "\(problems)")
        print("fault: card certificate answer \(fault) → token listed without certificates; sign → \(outcome.status) \(outcome.code); doctor: \(explained ?? "-")")
        try await fixture.stop()
        card.remove()
    }
}
