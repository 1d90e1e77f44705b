import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, items 13 and 14 (terminal): what kyso prints from others' data carries no control character, and a
/// signal at a PIN prompt leaves the terminal's echo on.
@Suite("kyso on the terminal (issue 18: 13, 14)", .timeLimit(.minutes(2)))
struct TerminalOutputTests {
    // MARK: 13. Escaping

    @Test("13: TerminalText escapes C0, DEL, C1 and escape sequences as \\u00XX; output() keeps kyso's own line breaks and tabs")
    func escaping() {
        let hostile = "a\u{1b}]0;owned\u{07}b\u{1b}[2Jc\u{9b}31md\u{7f}e\u{0}f\rg\u{8}h"
        let field = TerminalText.field(hostile + "\n\tx")
        #expect(field == #"a\u001b]0;owned\u0007b\u001b[2Jc\u009b31md\u007fe\u0000f\u000dg\u0008h\u000a\u0009x"#)
        #expect(!field.unicodeScalars.contains(where: TerminalText.isControl))
        #expect(TerminalText.output("line 1\n\tline 2\u{1b}[31m\n") == "line 1\n\tline 2\\u001b[31m\n")
        // Text without control characters is left exactly as it is: Vietnamese, symbols, emoji.
        let plain = "Công ty TNHH Hải Quan — MST 0101234567 ✓ 🇻🇳 \\u001b"
        #expect(TerminalText.field(plain) == plain)
        // U+00A0 and U+00FF are printable: only U+0080–U+009F are C1.
        #expect(TerminalText.field("\u{a0}\u{ff}") == "\u{a0}\u{ff}")
        // JSON with raw DEL and C1 in a string (JSON allows them) stays valid JSON with the same value.
        let json = "{\"program\": \"x\u{7f}\u{9b}y\"}"
        let escaped = TerminalText.output(json)
        let decoded = try? JSONSerialization.jsonObject(with: Data(escaped.utf8)) as? [String: String]
        #expect(decoded?["program"] == "x\u{7f}\u{9b}y", "\(escaped)")
    }

    @Test("13: kyso audit shows a caller's program name full of escape sequences escaped, in the table and in --json")
    func auditProgramName() async throws {
        let (labDirectory, manifest) = try await Lab.copy()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"],
            configuration: #"{"access": {"sign": {"users": ["root"]}}}"#,
            environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        let client = KysoClient(socketPath: daemon.socketPath)
        let labToken = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" })
        let tokens = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
        let token = try #require(tokens.first { $0.label == labToken.label })

        // curl under a name that retitles the window, clears the screen and sets red (C0 and C1 forms).
        let scratch = try Scratch()
        let name = "curl\u{1b}]0;owned\u{07}\u{1b}[2J\u{9b}31mred"
        let program = scratch.path + "/" + name
        try FileManager.default.copyItem(atPath: "/usr/bin/curl", toPath: program)
        let body = try APIJSON.encoder().encode(SignRequest(data: Data("tờ khai".utf8), pin: SecretBytes(labToken.pin)))
        let bodyFile = try scratch.file("sign.json", String(decoding: body, as: UTF8.self))
        _ = try Shell.run(program, ["-s", "-o", "/dev/null", "--unix-socket", daemon.socketPath, "-H", "content-type: application/json",
                                    "--data-binary", "@" + bodyFile, "http://localhost/v1/tokens/\(token.id)/sign"])

        let kyso = Lab.productsDirectory.appendingPathComponent("kyso").path
        let table = try Shell.run(kyso, ["audit", "--socket", daemon.socketPath])
        let json = try Shell.run(kyso, ["audit", "--json", "--socket", daemon.socketPath])
        for (what, output) in [("table", table), ("--json", json)] {
            let text = String(decoding: output, as: UTF8.self)
            #expect(text.contains(#"curl\u001b]0;owned\u0007\u001b[2J\u009b31mred"#), "\(what): the program is not shown escaped: \(text)")
            let raw = text.unicodeScalars.filter { TerminalText.isControl($0) && $0 != "\n" && $0 != "\t" }
            #expect(raw.isEmpty, "\(what): raw control characters reached the terminal: \(raw.map { String($0.value, radix: 16) })")
        }
        let entries = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])["entries"] as? [[String: Any]]
        #expect(entries?.contains { ($0["executable"] as? String)?.hasSuffix(name) == true } == true, "--json no longer carries the name itself")
        #expect(try await daemon.stop() == 0)
    }

    // MARK: 14. Echo after a signal at the PIN prompt

    @Test("14: SIGINT or SIGTERM at kyso sign's PIN prompt leaves the terminal's echo on", arguments: [SIGINT, SIGTERM])
    func echoRestored(signal: Int32) async throws {
        let terminal = try PseudoTerminal()
        let scratch = try Scratch()
        let file = try scratch.file("declaration.xml", "<tờ-khai/>")
        let process = Process()
        process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
        process.arguments = ["sign", "some-token", file, "--out", scratch.path + "/signature", "--socket", scratch.path + "/none.sock"]
        process.standardInput = terminal.follower
        process.standardOutput = terminal.follower
        process.standardError = terminal.follower
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let prompt = try await terminal.read(until: "PIN for token", timeout: .seconds(20))
        // The prompt is written just before echo goes off.
        let silentBy = ContinuousClock.now + .seconds(5)
        while terminal.echoes && ContinuousClock.now < silentBy { try await Task.sleep(for: .milliseconds(5)) }
        try #require(!terminal.echoes, "echo never went off at the prompt: \(prompt)")
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!process.isRunning, "kyso ignored signal \(signal)")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                "kyso should still end by the signal (so its shell sees it), not \(process.terminationReason) \(process.terminationStatus)")
        #expect(terminal.echoes, "the terminal's echo is still off after signal \(signal)")
    }
}
