import Foundation
import KysoAPI
import KysoBrowser
import KysoTestSupport
import Testing

@Suite("browser origins, Assuan and pinentry")
struct KysoBrowserTests {
    @Test("https origins and http://localhost are origins; anything else is refused with a reason",
          arguments: [
            ("https://ecus.customs.gov.vn", nil), ("https://a.vn:8443", nil), ("http://localhost", nil), ("http://localhost:3000", nil),
            ("https://[::1]:8443", nil), ("https://xn--hiquan-kva.vn", nil),
            ("http://ecus.customs.gov.vn", BrowserOrigin.Refusal.insecure), ("http://127.0.0.1:8080", .insecure), ("ftp://a.vn", .insecure),
            ("https://a.vn/", .malformed), ("https://A.vn", .malformed), ("https://a.vn:443", .malformed), ("https://a.vn:0", .malformed),
            ("https://user@a.vn", .malformed), ("https://a..vn", .malformed), ("a.vn", .malformed), ("https://a.vn:08443", .malformed),
            ("https://hải-quan.vn", .malformed), ("https://" + String(repeating: "a", count: 250) + ".vn", .tooLong),
          ] as [(String, BrowserOrigin.Refusal?)])
    func origins(text: String, refusal: BrowserOrigin.Refusal?) {
        do {
            let origin = try BrowserOrigin(text)
            #expect(refusal == nil && origin.value == text)
        } catch {
            #expect(error == refusal)
        }
    }

    @Test("Assuan escaping keeps a description with line breaks and % one line, and reverses on D lines")
    func assuan() {
        #expect(AssuanText.escape("Trang web: https://a.vn\n100% ký\r") == "Trang web: https://a.vn%0A100%25 ký%0D")
        #expect(AssuanText.unescape(ArraySlice("12%2534%0A".utf8)) == Array("12%34\n".utf8))
        #expect(AssuanText.unescape(ArraySlice("12%2".utf8)) == nil)
        #expect(AssuanText.unescape(ArraySlice("%zz".utf8)) == nil)
    }

    @Test("a pinentry's PIN, confirmation and cancel come back as such; the texts arrive unescaped")
    func pinentry() throws {
        let folder = Lab.scratchRoot.appendingPathComponent("pinentry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "pin 12%34 x\nconfirm\ncancel\n".write(to: folder.appendingPathComponent("answers"), atomically: true, encoding: .utf8)
        setenv("FAKE_PINENTRY_DIR", folder.path, 1)
        let pinentry = Pinentry(program: BrowserFixture.testsFolder.appendingPathComponent("fake-pinentry.py").path)
        let texts = Pinentry.Texts(title: "Kyso", description: "Trang web: https://a.vn\nMã số thuế: 0101234567", prompt: "PIN:", ok: "Ký", cancel: "Huỷ")
        #expect(try pinentry.pin(texts) == .pin(Array("12%34 x".utf8)))
        #expect(try pinentry.confirm(texts) == .confirmed)
        #expect(try pinentry.pin(texts) == .cancelled)
        let log = try String(contentsOf: folder.appendingPathComponent("dialogs.jsonl"), encoding: .utf8)
        #expect(log.contains(#""desc": "Trang web: https://a.vn\nMã số thuế: 0101234567""#))
        #expect(throws: Pinentry.Failure.self) { try Pinentry(program: "/nonexistent/pinentry").pin(texts) }
    }

    @Test("kyso browser origins lists and revokes what the host remembered")
    func originsCommand() throws {
        let folder = Lab.scratchRoot.appendingPathComponent("origins-\(UUID().uuidString)")
        let store = RememberedOrigins(path: folder.appendingPathComponent("kyso/browser-origins.json").path)
        try store.remember(try BrowserOrigin("https://ecus.example.vn"))
        try store.remember(try BrowserOrigin("http://localhost:3000"))
        let kyso = Lab.productsDirectory.appendingPathComponent("kyso").path
        let environment = ["XDG_CONFIG_HOME": folder.path]
        let listed = String(decoding: try Shell.run(kyso, ["browser", "origins"], environment: environment), as: UTF8.self)
        #expect(listed.contains("https://ecus.example.vn") && listed.contains("http://localhost:3000"))
        _ = try Shell.run(kyso, ["browser", "origins", "revoke", "https://ecus.example.vn"], environment: environment)
        #expect(try store.list().map(\.origin.value) == ["http://localhost:3000"])
        #expect(throws: Shell.Failure.self) { try Shell.run(kyso, ["browser", "origins", "revoke", "https://ecus.example.vn"], environment: environment) }
        #expect(throws: Shell.Failure.self) { try Shell.run(kyso, ["browser", "origins", "revoke", "not an origin"], environment: environment) }
        let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
