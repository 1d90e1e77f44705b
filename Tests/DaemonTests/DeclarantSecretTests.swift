import Foundation
import KysoAPI
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, what was left: changing a secret on an existing binding, the narrow `kyso tokens`, doctor's summary
/// line and reminders that survive a restart; the real `kyso` against kysod on a SoftHSM lab copy.
@Suite("declarant secrets, tokens table, doctor summary, reminders (issue 13)")
struct DeclarantSecretTests {
    /// kyso on a pseudo-terminal (standard input, output and error), as a person at the keyboard.
    final class TerminalRun: @unchecked Sendable {
        let terminal: PseudoTerminal
        let process = Process()

        init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
            terminal = try PseudoTerminal()
            process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "KYSO_SOCKET")
            environment.removeValue(forKey: "NO_COLOR")
            environment.merge(extra) { _, new in new }
            process.environment = environment
            process.standardInput = terminal.follower
            process.standardOutput = terminal.follower
            process.standardError = terminal.follower
            try process.run()
        }

        /// Waits for the end; the exit status, or nil when kyso is still running after `timeout`.
        func exit(within timeout: Duration = .seconds(20)) async throws -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            return process.isRunning ? nil : process.terminationStatus
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    @Test("kyso account set-secret: asked twice or read from stdin, checked before anything, confirmed, sealed as at bind, audited")
    func setSecret() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try fixture.labToken("kyso-viettel")
        try fixture.registerAndBind("KYSOP001", label: "kyso-viettel")

        // From standard input, host-sealed; nothing was stored before, so nothing is asked.
        let set = try fixture.kyso(["account", "set-secret", "KYSOP001", "password", "--stdin", "--sealing", "host"], input: "pw#2026x\n")
        #expect(set.status == 0 && set.stdout.contains("Stored the VNACCS password of KYSOP001, sealed with kysod's host key"), "\(set)")
        #expect(try fixture.kyso(["secret", "KYSOP001", "password"]).stdout == "pw#2026x\n")

        // A value that breaks its rule: refused before kysod is asked, and the stored one stays.
        let tooLong = try fixture.kyso(["account", "set-secret", "KYSOP001", "password", "--stdin"], input: "much-too-long\n")
        #expect(tooLong.status == 64 && tooLong.stderr.contains("VNACCS password"), "\(tooLong)")
        #expect(try fixture.kyso(["secret", "KYSOP001", "password"]).stdout == "pw#2026x\n")

        // Replacing without a terminal goes ahead, saying what goes.
        let replaced = try fixture.kyso(["account", "set-secret", "KYSOP001", "password", "--stdin", "--sealing", "host"], input: "new#2027\n")
        #expect(replaced.status == 0 && replaced.stderr.contains("replaces the stored VNACCS password of KYSOP001"), "\(replaced)")
        #expect(try fixture.kyso(["secret", "KYSOP001", "password"]).stdout == "new#2027\n")

        // On a terminal: typed twice (two different entries change nothing), sealed to the token with its PIN.
        let mismatch = try TerminalRun(["account", "set-secret", "KYSOP001", "terminalAccessKey", "--sealing", "token",
                                        "--socket", fixture.daemon.socketPath])
        _ = try await mismatch.terminal.read(until: "(at most 16 letters or digits): ", timeout: .seconds(20))
        mismatch.terminal.type("TAK0ABC123\n")
        _ = try await mismatch.terminal.read(until: "The same again: ", timeout: .seconds(10))
        mismatch.terminal.type("TAK0ABC124\n")
        #expect(try await mismatch.exit() == 64)
        #expect(try await fixture.client.get("/v1/bindings/KYSOP001", as: BindingInfo.self).secrets == ["password"])

        let typed = try TerminalRun(["account", "set-secret", "KYSOP001", "terminalAccessKey", "--sealing", "token",
                                     "--socket", fixture.daemon.socketPath])
        _ = try await typed.terminal.read(until: "(at most 16 letters or digits): ", timeout: .seconds(20))
        #expect(!typed.terminal.echoes, "the value is echoed")
        typed.terminal.type("tak0abc123\n")
        _ = try await typed.terminal.read(until: "The same again: ", timeout: .seconds(10))
        typed.terminal.type("tak0abc123\n")
        _ = try await typed.terminal.read(until: "PIN for token “kyso-viettel”", timeout: .seconds(10))
        typed.terminal.type(token.pin + "\n")
        let screen = try await typed.terminal.read(until: "Stored the Terminal access key of KYSOP001, sealed to the token", timeout: .seconds(20))
        #expect(try await typed.exit() == 0, "\(screen)")
        let info = try await fixture.client.get("/v1/bindings/KYSOP001", as: BindingInfo.self)
        #expect(info.secrets.sorted() == ["password", "terminalAccessKey"] && info.sealedToToken == ["terminalAccessKey"], "\(info)")
        let opened = try await fixture.client.request(.POST, "/v1/bindings/KYSOP001/secrets/terminalAccessKey",
                                                      body: Array(#"{"pin":"\#(token.pin)"}"#.utf8)).decode(SecretResponse.self)
        #expect(opened.value == "TAK0ABC123")

        // Over the API: a token sealing without the PIN, an unknown kind, an unbound account, a bad value.
        func put(_ path: String, _ body: String) async throws -> (Int, String?) {
            let response = try await fixture.client.request(.PUT, path, body: Array(body.utf8))
            return (response.status, response.decodeProblem()?.code)
        }
        #expect(try await put("/v1/bindings/KYSOP001/secrets/password", #"{"value":"x1","sealing":"token"}"#) == (401, "pin-required"))
        #expect(try await put("/v1/bindings/KYSOP001/secrets/pin", #"{"value":"x1"}"#) == (400, "bad-request"))
        #expect(try await put("/v1/bindings/NOBODY01/secrets/password", #"{"value":"x1"}"#) == (404, "not-bound"))
        #expect(try await put("/v1/bindings/KYSOP001/secrets/terminalAccessKey", #"{"value":"not a key!"}"#) == (422, "invalid-field"))
        #expect(try fixture.kyso(["secret", "KYSOP001", "password"]).stdout == "new#2027\n", "a refused change changed the secret")
        let unbound = try fixture.kyso(["account", "set-secret", "NOBODY01", "password", "--stdin"], input: "pw\n")
        #expect(unbound.status == 1 && unbound.stderr.contains("not bound"), "\(unbound)")

        // Audited, successes and refusals alike, never the value.
        let audit = try await fixture.client.get("/v1/audit?limit=100", as: AuditResponse.self).entries.filter { $0.action == "secret.store" }
        #expect(audit.filter { $0.outcome == "success" }.count == 3, "\(audit)")
        #expect(audit.contains { $0.outcome == "refused" && $0.detail?.contains("invalid-field") == true }, "\(audit)")
        #expect(audit.contains { $0.detail == "KYSOP001 terminalAccessKey (token)" }, "\(audit)")
        let log = fixture.daemon.log()
        #expect(try await fixture.daemon.stop() == 0)
        for secret in ["pw#2026x", "new#2027", "TAK0ABC123", "tak0abc123"] { #expect(!log.contains(secret), "kysod's log has a secret") }
    }

    @Test("kyso tokens: one line per certificate within 100 columns, colour on a terminal only (NO_COLOR respected), --wide for all")
    func narrowTokens() async throws {
        let (daemon, manifest, _) = try await startDaemonOnLab()
        let socket = ["--socket", daemon.socketPath]
        let narrow = try KysoRun.run(["tokens"] + socket)
        #expect(narrow.status == 0, "\(narrow)")
        let lines = narrow.stdout.split(separator: "\n")
        let certificates = manifest.tokens.map(\.certificates.count).reduce(0, +)
        #expect(lines.count == 1 + certificates, "\(narrow.stdout)")
        #expect(lines.allSatisfy { $0.count <= 100 }, "wider than 100 columns: \(lines.map(\.count).max() ?? 0)\n\(narrow.stdout)")
        #expect(lines.first?.hasPrefix("TOKEN") == true && lines.first?.contains("STATUS") == true && !narrow.stdout.contains("\u{1B}"))
        #expect(lines.contains { $0.hasPrefix("kyso-viettel ") && $0.contains("valid") })

        let wide = try KysoRun.run(["tokens", "--wide"] + socket)
        #expect(wide.status == 0 && wide.stdout.contains("SERIAL") && wide.stdout.contains(" ID ") && wide.stdout.contains(" PIN "), "\(wide)")
        #expect(wide.stdout.split(separator: "\n").contains { $0.count > 100 }, "--wide is no wider than the narrow table")

        let coloured = try TerminalRun(["tokens"] + socket)
        let screen = try await coloured.terminal.read(until: "kyso-two-certs", timeout: .seconds(20))
        #expect(try await coloured.exit() == 0)
        #expect(screen.contains("\u{1B}[32mvalid\u{1B}[0m"), "no colour on a terminal: \(screen)")
        let plain = try TerminalRun(["tokens"] + socket, environment: ["NO_COLOR": "1"])
        let plainScreen = try await plain.terminal.read(until: "kyso-two-certs", timeout: .seconds(20))
        #expect(try await plain.exit() == 0)
        #expect(!plainScreen.contains("\u{1B}["), "colour despite NO_COLOR: \(plainScreen)")
        #expect(try await daemon.stop() == 0)
    }

    @Test("kyso doctor starts with a summary line: tokens ready, certificates expired")
    func doctorSummary() async throws {
        let (labDirectory, manifest) = try await Lab.copy()
        _ = try Lab.tool(["add-token", labDirectory.path, "--label", "kyso-ended", "--provider", "fpt", "--valid-days", "0"])
        let doctor = try KysoRun.run(["doctor", "--no-registered-modules", "--module", Lab.softHSMModule,
                                      "--socket", labDirectory.appendingPathComponent("none.sock").path],
                                     environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        let first = doctor.stdout.split(separator: "\n").first.map(String.init) ?? ""
        // The lab's tokens, the ended one, and SoftHSM's spare slot (blank); pcscd is not running here (a warning).
        #expect(first.hasPrefix("\(manifest.tokens.count) tokens ready, 1 token not ready, 1 blank token, 1 certificate expired, 1 error"), "\(doctor)")
        let json = try KysoRun.run(["doctor", "--no-registered-modules", "--module", Lab.softHSMModule, "--json",
                                    "--socket", labDirectory.appendingPathComponent("none.sock").path],
                                   environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        #expect(json.stdout.contains(#""summary" : "\#(first)""#) || json.stdout.contains(#""summary":"\#(first)""#), "\(json.stdout.prefix(300))")
        // With the modules registered with p11-kit too (Debian's softhsm2 package registers the same SoftHSM), each
        // token is counted once, not once per module that shows it.
        let both = try KysoRun.run(["doctor", "--module", Lab.softHSMModule, "--socket", labDirectory.appendingPathComponent("none.sock").path],
                                   environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        #expect(both.stdout.hasPrefix("\(manifest.tokens.count) tokens ready,"), "\(both.stdout.prefix(200))")
    }

    @Test("a reminder sent before a restart is not sent again after it")
    func remindersAcrossRestart() async throws {
        let lab = try await LabDaemon.start(prepare: { directory in
            _ = try Lab.tool(["add-token", directory.path, "--label", "kyso-short", "--provider", "viettel", "--valid-days", "11"])
        })
        let tokens = try Lab.manifest(lab.directory).tokens.count
        let before = try await Self.reminders(lab.client, tokens: tokens)
        #expect(before.count == 1, "\(before.map(\.data))")
        #expect(try await lab.daemon.stop() == 0)

        let again = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2",
                        "--state-dir", lab.daemon.directory.appendingPathComponent("state").path],
            environment: ["SOFTHSM2_CONF": lab.directory.appendingPathComponent("softhsm2.conf").path])
        let after = try await Self.reminders(KysoClient(socketPath: again.socketPath), tokens: tokens)
        #expect(after.isEmpty, "sent again after the restart: \(after.map(\.data))")
        #expect(try await again.stop() == 0)
    }

    /// The `certificate.expiring` events of a kysod once it has announced its `tokens` tokens and looked at them.
    static func reminders(_ client: KysoClient, tokens: Int) async throws -> [ServerSentEvent] {
        let deadline = ContinuousClock.now + .seconds(20)
        var events = try await DeclarantAccountTests.eventsSoFar(client)
        while events.filter({ $0.event == "token.inserted" }).count < tokens && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            events = try await DeclarantAccountTests.eventsSoFar(client)
        }
        try await Task.sleep(for: .seconds(1))
        return try await DeclarantAccountTests.eventsSoFar(client).filter { $0.event == "certificate.expiring" }
    }
}
