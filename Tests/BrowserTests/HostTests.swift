import Foundation
import KysoTestSupport
import Testing

/// kyso-browser-host over its stdin and stdout, without a browser: the framing, the origin rule, consent, and
/// kysod's absence, each with the code a page acts on.
@Suite("kyso-browser-host")
struct HostTests {
    static func folder() throws -> URL {
        let folder = Lab.scratchRoot.appendingPathComponent("host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("pinentry"), withIntermediateDirectories: true)
        return folder
    }

    static func environment(_ folder: URL, socket: String? = nil) -> [String: String] {
        [
            "XDG_CONFIG_HOME": folder.appendingPathComponent("config").path,
            "KYSO_SOCKET": socket ?? folder.appendingPathComponent("no-kysod.sock").path,
            "KYSO_PINENTRY": BrowserFixture.testsFolder.appendingPathComponent("fake-pinentry.py").path,
            "FAKE_PINENTRY_DIR": folder.appendingPathComponent("pinentry").path,
        ]
    }

    static func dialogCount(_ folder: URL) -> Int {
        let text = (try? String(contentsOfFile: folder.appendingPathComponent("pinentry/dialogs.jsonl").path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count
    }

    @Test("answers in order, echoes ids, and exits 0 when the browser closes the pipe")
    func framing() throws {
        let folder = try Self.folder()
        let host = try HostProcess(environment: Self.environment(folder))
        let first = try host.ask(#"{"id":"a","type":"version","origin":"https://ecus.example.vn"}"#)
        let second = try host.ask(#"{"id":"b","type":"version","origin":"http://localhost:8080"}"#)
        #expect(first["id"] as? String == "a" && first["ok"] as? Bool == true)
        #expect(second["id"] as? String == "b" && (second["result"] as? [String: Any])?["host"] as? String == "kyso-browser-host")
        let garbage = try host.ask("not json")
        #expect(garbage.errorCode == "bad-request")
        try host.closeInput()
        #expect(host.exitStatus(within: 5) == 0)
    }

    @Test("origins that are not https (or http://localhost) are refused before any dialog",
          arguments: ["http://ecus.example.vn", "http://127.0.0.1:8080", "file://", "chrome-extension://abc", "null", "https://ECUS.vn",
                      "https://ecus.example.vn/path"])
    func refusedOrigins(origin: String) throws {
        let folder = try Self.folder()
        try "confirm\n".write(to: folder.appendingPathComponent("pinentry/answers"), atomically: true, encoding: .utf8)
        let host = try HostProcess(environment: Self.environment(folder))
        let reply = try host.ask(#"{"id":"x","type":"certificates","origin":"\#(origin)"}"#)
        #expect(reply.errorCode == "origin-refused")
        #expect(Self.dialogCount(folder) == 0)
    }

    @Test("a length over the limit is answered with message-too-large, then the host exits")
    func tooLarge() throws {
        let folder = try Self.folder()
        let host = try HostProcess(environment: Self.environment(folder))
        try host.sendFrame(length: 0xFFFF_FFF0, body: Data())
        #expect(try host.receive()?.errorCode == "message-too-large")
        #expect(host.exitStatus(within: 5) == 1)
    }

    @Test("consent refused: user-cancelled, and the origin is asked again next time; allowed: remembered, 0600")
    func consent() throws {
        let folder = try Self.folder()
        try "cancel\nconfirm\n".write(to: folder.appendingPathComponent("pinentry/answers"), atomically: true, encoding: .utf8)
        let host = try HostProcess(environment: Self.environment(folder))
        let refused = try host.ask(#"{"id":"1","type":"certificates","origin":"https://ecus.example.vn"}"#)
        #expect(refused.errorCode == "user-cancelled")
        let originsFile = folder.appendingPathComponent("config/kyso/browser-origins.json").path
        #expect(!FileManager.default.fileExists(atPath: originsFile))
        // Allowed this time; kysod is not running, which the page learns as such.
        let allowed = try host.ask(#"{"id":"2","type":"certificates","origin":"https://ecus.example.vn"}"#)
        #expect(allowed.errorCode == "daemon-unavailable")
        #expect(Self.dialogCount(folder) == 2)
        let mode = try FileManager.default.attributesOfItem(atPath: originsFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Remembered: no third dialog.
        _ = try host.ask(#"{"id":"3","type":"certificates","origin":"https://ecus.example.vn"}"#)
        #expect(Self.dialogCount(folder) == 2)
    }

    @Test("a sign request with a malformed hash or no certificate is refused before any dialog")
    func badSignRequests() throws {
        let folder = try Self.folder()
        let host = try HostProcess(environment: Self.environment(folder))
        for request in [#"{"type":"sign","origin":"https://a.vn","certificate":"00","hash":"AAAA"}"#,
                        #"{"type":"sign","origin":"https://a.vn","hash":"AAAA","data":"AAAA"}"#,
                        #"{"type":"sign","origin":"https://a.vn","hash":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","output":"cms"}"#,
                        #"{"type":"authenticate","origin":"https://a.vn","nonce":"c2hvcnQ="}"#] {
            #expect(try host.ask(request).errorCode == "bad-request", "\(request)")
        }
        #expect(Self.dialogCount(folder) == 0)
    }

    @Test("data past 32 KiB is refused before the person types a PIN kysod would then refuse for size")
    func dataTooLarge() throws {
        let folder = try Self.folder()
        let host = try HostProcess(environment: Self.environment(folder))
        let data = Data(repeating: 0x41, count: 32 * 1024 + 1).base64EncodedString()
        let reply = try host.ask(#"{"type":"sign","origin":"https://a.vn","certificate":"\#(String(repeating: "a", count: 64))","data":"\#(data)","output":"cms"}"#)
        #expect(reply.errorCode == "message-too-large")
        #expect(Self.dialogCount(folder) == 0)
    }
}
