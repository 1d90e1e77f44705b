import Foundation
import KysoAPI
import KysoBrowser
import KysoCore
import KysoTestSupport
import Testing

/// The codes a page acts on for token states the SoftHSM lab cannot reach (an expired certificate, a locked PIN,
/// a PIN pad, a token pulled during the signature): the host talks to fake-kysod.py, which serves the lab's real
/// token list with those states written in, and kysod's problem answers.
@Suite("kyso-browser-host's error codes")
struct HostErrorCodeTests {
    static let hash = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    /// The lab's token list as kysod serves it.
    static func labTokens() async throws -> TokenListResponse {
        let (directory, _) = try await Lab.copy()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"],
            environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        let list = try await KysoClient(socketPath: daemon.socketPath).request(.GET, "/v1/tokens").decode(TokenListResponse.self)
        try await daemon.stop()
        return list
    }

    static func problem(_ status: Int, _ code: String) -> [String: Any] {
        ["status": status, "body": ["type": "urn:kyso:problem:\(code)", "title": code, "status": status, "code": code, "detail": "from the fake"]]
    }

    @Test("expired certificate, locked PIN, unknown certificate: refused before any dialog; a PIN pad confirms without a PIN")
    func codes() async throws {
        var list = try await Self.labTokens()
        func index(_ label: String) throws -> Int { try #require(list.tokens.firstIndex { $0.label == label }) }
        let (expired, locked, pinPad, pulled) = (try index("kyso-vnpt"), try index("kyso-viettel"), try index("kyso-fpt"), try index("kyso-bkav"))
        list.tokens[expired].certificates[0].profile.validity.notAfter = Date(timeIntervalSince1970: 1_600_000_000)
        list.tokens[locked].pin = PINStatus(locked: true, finalTry: false, countLow: false)
        list.tokens[pinPad].pin = PINStatus(locked: false, finalTry: false, countLow: false, protectedAuthenticationPath: true)

        let folder = Lab.scratchRoot.appendingPathComponent("fake-kysod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("pinentry"), withIntermediateDirectories: true)
        let tokensFile = folder.appendingPathComponent("tokens.json")
        try APIJSON.encoder().encode(list).write(to: tokensFile)
        let answers: [String: Any] = [list.tokens[pinPad].id: Self.problem(423, "pin-locked"), list.tokens[pulled].id: Self.problem(410, "token-removed")]
        try JSONSerialization.data(withJSONObject: answers).write(to: folder.appendingPathComponent("answers.json"))
        let socket = folder.appendingPathComponent("kysod.sock").path
        let log = folder.appendingPathComponent("sign.jsonl")
        let fake = Process()
        fake.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        fake.arguments = ["python3", BrowserFixture.testsFolder.appendingPathComponent("fake-kysod.py").path, socket, tokensFile.path,
                          folder.appendingPathComponent("answers.json").path, log.path]
        // Not the test's stdout or stderr: swift test waits for every holder of those pipes to close them.
        fake.standardOutput = FileHandle.nullDevice
        fake.standardError = FileHandle.nullDevice
        try fake.run()
        // SIGKILL: SIGTERM can be blocked or ignored in the test process, and its children inherit that.
        defer {
            kill(fake.processIdentifier, SIGKILL)
            fake.waitUntilExit()
        }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(25)) }

        var environment = HostTests.environment(folder, socket: socket)
        environment["XDG_CONFIG_HOME"] = folder.appendingPathComponent("config").path
        try RememberedOrigins(path: folder.appendingPathComponent("config/kyso/browser-origins.json").path).remember(try BrowserOrigin("https://a.vn"))
        try "confirm\npin 123456\n".write(to: folder.appendingPathComponent("pinentry/answers"), atomically: true, encoding: .utf8)
        let host = try HostProcess(environment: environment)
        func sign(_ token: Int?) throws -> String? {
            let certificate = token.map { list.tokens[$0].certificates[0].sha256 } ?? String(repeating: "ab", count: 32)
            return try host.ask(#"{"type":"sign","origin":"https://a.vn","certificate":"\#(certificate)","hash":"\#(Self.hash)"}"#).errorCode
        }

        #expect(try sign(expired) == "certificate-expired")
        #expect(try sign(locked) == "pin-locked")
        #expect(try sign(nil) == "certificate-not-found")
        #expect(HostTests.dialogCount(folder) == 0, "nothing to decide: no dialog")
        // A PIN pad: a confirmation dialog, no PIN sent; kysod's pin-locked reaches the page as such.
        #expect(try sign(pinPad) == "pin-locked")
        // A token pulled during the signature: no-token.
        #expect(try sign(pulled) == "no-token")
        let dialogs = try String(contentsOf: folder.appendingPathComponent("pinentry/dialogs.jsonl"), encoding: .utf8)
        #expect(dialogs.components(separatedBy: "\"command\": \"CONFIRM\"").count == 2 && dialogs.components(separatedBy: "\"command\": \"GETPIN\"").count == 2)
        let requests = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(requests.map { $0["hasPIN"] as? Bool } == [false, true])
        #expect(requests.allSatisfy { $0["origin"] as? String == "https://a.vn" })

        // No token at all.
        try APIJSON.encoder().encode(TokenListResponse(tokens: [])).write(to: tokensFile)
        #expect(try host.ask(#"{"type":"certificates","origin":"https://a.vn"}"#).errorCode == "no-token")
        #expect(try sign(nil) == "no-token")
    }
}
