import Crypto
import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// The browsers the end-to-end test runs in: each that is installed (scripts/install-deps installs both).
enum TestBrowser: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case chromium, firefox

    var binary: String { self == .chromium ? "/usr/bin/chromium" : "/usr/bin/firefox-esr" }
    var testDescription: String { rawValue }
    static var installed: [TestBrowser] { allCases.filter { FileManager.default.isExecutableFile(atPath: $0.binary) } }
}

/// The whole path in a real browser: Debian's Chromium (--headless=new, the extension from --load-extension) and
/// Firefox ESR (--headless, the extension installed as a temporary add-on through Marionette), a page on
/// http://localhost → content script → background → kyso-browser-host (native messaging) → kysod on the SoftHSM
/// lab, the dialogs answered by a scripted pinentry; the signatures checked with openssl and the server example.
@Suite("a real browser with the Kyso extension", .enabled(if: !TestBrowser.installed.isEmpty, "needs chromium or firefox-esr (scripts/install-deps)"))
struct BrowserEndToEndTests {
    struct Outcome<Value: Decodable>: Decodable {
        var ok: Bool
        var value: Value?
        var code: String?
        var message: String?
    }
    struct Certificate: Decodable { var id: String; var holder: String?; var taxCode: String?; var ca: String; var keyType: String; var der: Data }
    struct Signature: Decodable { var signature: Data; var certificateDer: Data; var algorithm: String; var output: String }
    struct Authentication: Decodable { var format: String; var unverifiedCertificate: Data; var algorithm: String; var signature: Data; var origin: String }
    struct Version: Decodable { var host: String }
    struct Steps: Decodable {
        var version: Outcome<Version>
        var certificates: Outcome<[Certificate]>
        var signHash, signCMS, cancelled, wrongPIN: Outcome<Signature>
        var authenticate, shortNonce: Outcome<Authentication>
        var text: String
        var origin: String
    }
    struct Refused: Decodable { var ok: Bool; var code: String?; var origin: String }
    struct Report: Decodable {
        struct Results: Decodable { var main: Steps; var refused: Refused }
        var results: Results
        var seconds: Double
        var stopSeconds: Double
    }

    /// Runs browser/examples/verify_login.py, the server-side check docs/browser.md shows; true when it accepts.
    static func verifyLogin(_ token: Authentication, origin: String, nonce: String) throws -> Bool {
        let file = Lab.scratchRoot.appendingPathComponent("login-\(UUID().uuidString).json")
        let json: [String: String] = [
            "format": token.format, "unverifiedCertificate": token.unverifiedCertificate.base64EncodedString(),
            "algorithm": token.algorithm, "signature": token.signature.base64EncodedString(), "origin": token.origin,
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let script = Lab.repositoryRoot.appendingPathComponent("browser/examples/verify_login.py").path
        return (try? Shell.run("python3", [script, file.path, origin, nonce])) != nil
    }

    @Test("list, sign (raw and CMS), authenticate; a cancelled dialog, a wrong PIN asked once, a refused origin",
          arguments: TestBrowser.installed)
    func endToEnd(browser: TestBrowser) async throws {
        let fixture = try await BrowserFixture.start()
        let token = try #require(fixture.manifest.tokens.first { $0.label == "kyso-vnpt" })
        let labCertificate = try #require(token.certificates.first)
        // Consent, three signatures, a cancel, a wrong PIN: six dialogs. A seventh (a retry) would be cancelled.
        try fixture.answer(["confirm", "pin \(token.pin)", "pin \(token.pin)", "pin \(token.pin)", "cancel", "pin 000000"])
        var nonceBytes = [UInt8](repeating: 0, count: 32)
        for index in nonceBytes.indices { nonceBytes[index] = UInt8.random(in: 0...255) }
        let nonce = Data(nonceBytes).base64EncodedString()
        let query = "certificate=\(labCertificate.sha256)&nonce=\(nonce.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        let output = try Shell.run("python3", [
            BrowserFixture.testsFolder.appendingPathComponent("browser-run.py").path, "--browser", browser.rawValue,
            "--extension", Lab.repositoryRoot.appendingPathComponent("browser/extension").path,
            "--profile", fixture.profile.path,
            "--pages", BrowserFixture.testsFolder.appendingPathComponent("pages").path,
            "--library", Lab.repositoryRoot.appendingPathComponent("browser/kyso-web.js").path,
            "--page", "/sign.html?\(query)", "--expect", "main,refused", "--timeout", "45",
        ], environment: fixture.environment)
        let report = try JSONDecoder().decode(Report.self, from: output)
        let steps = report.results.main
        print("\(browser.rawValue) scenario: \(report.seconds) s, stopping the browser \(report.stopSeconds) s")

        #expect(steps.version.value?.host == "kyso-browser-host")
        let certificates = try #require(steps.certificates.value, "\(steps.certificates.code ?? "") \(steps.certificates.message ?? "")")
        let listed = try #require(certificates.first { $0.id == labCertificate.sha256 })
        #expect(listed.taxCode == labCertificate.taxCode)
        #expect(listed.holder != nil && listed.ca.isEmpty == false)

        // Each signature verifies with openssl, as the site's server would check it.
        let text = Data(steps.text.utf8)
        let raw = try #require(steps.signHash.value, "\(steps.signHash.code ?? "") \(steps.signHash.message ?? "")")
        #expect(raw.algorithm == "RS256")
        #expect(try OpenSSLVerify.raw(signature: raw.signature, data: text, certificateDER: raw.certificateDer))
        let cms = try #require(steps.signCMS.value, "\(steps.signCMS.code ?? "") \(steps.signCMS.message ?? "")")
        #expect(cms.output == "cms")
        #expect(try OpenSSLVerify.cms(cms.signature, content: text))
        let login = try #require(steps.authenticate.value, "\(steps.authenticate.code ?? "") \(steps.authenticate.message ?? "")")
        #expect(login.origin == steps.origin && login.format == "kyso:1")
        let signedForLogin = Data(SHA256.hash(data: Data(steps.origin.utf8))) + Data(SHA256.hash(data: Data(nonce.utf8)))
        #expect(try OpenSSLVerify.raw(signature: login.signature, data: signedForLogin, certificateDER: login.unverifiedCertificate))
        // The same token is worthless for another origin.
        let otherOrigin = Data(SHA256.hash(data: Data("https://evil.example".utf8))) + Data(SHA256.hash(data: Data(nonce.utf8)))
        #expect(try !OpenSSLVerify.raw(signature: login.signature, data: otherOrigin, certificateDER: login.unverifiedCertificate))
        // The server-side example in docs/browser.md accepts it for this origin and nonce only.
        #expect(try Self.verifyLogin(login, origin: steps.origin, nonce: nonce))
        #expect(try !Self.verifyLogin(login, origin: steps.origin, nonce: Data(nonceBytes.reversed()).base64EncodedString()))
        var replayed = login
        replayed.origin = "https://evil.example"
        #expect(try !Self.verifyLogin(replayed, origin: "https://evil.example", nonce: nonce))

        #expect(steps.cancelled.code == "user-cancelled")
        #expect(steps.wrongPIN.code == "pin-incorrect")
        #expect(steps.shortNonce.code == "bad-request")
        #expect(report.results.refused.code == "origin-refused")
        #expect(report.results.refused.origin.hasPrefix("http://127.0.0.1:"))

        // What the person was shown: consent once, then one dialog per signature naming site, holder, tax code, CA and
        // what is signed; the wrong PIN was asked once (no seventh dialog), the refused origin never.
        let dialogs = try fixture.dialogs()
        #expect(dialogs.map { $0["command"] ?? "" } == ["CONFIRM", "GETPIN", "GETPIN", "GETPIN", "GETPIN", "GETPIN"])
        #expect(dialogs.first?["desc"]?.contains(steps.origin) == true)
        let digestHex = SHA256.hash(data: text).map { String(format: "%02x", $0) }.joined()
        for dialog in dialogs.dropFirst() {
            let description = dialog["desc"] ?? ""
            #expect(description.contains("Trang web: \(steps.origin)"))
            #expect(description.contains(labCertificate.taxCode ?? "-"))
            #expect(description.contains(listed.ca))
            #expect(description.contains(listed.holder ?? "-"))
        }
        #expect(dialogs[1]["desc"]?.contains(digestHex) == true, "the raw signature's dialog shows the hash it signs")
        #expect(!dialogs.contains { ($0["desc"] ?? "").contains("127.0.0.1") })

        // kysod knows who asked: the origin is in each browser signature's audit record.
        let audit = try await fixture.client.request(.GET, "/v1/audit?limit=10").decode(AuditResponse.self).entries.filter { $0.action == "sign" }
        #expect(audit.filter { $0.outcome == "success" }.count == 3)
        #expect(audit.allSatisfy { $0.detail?.hasSuffix("origin \(steps.origin)") == true })
        // The allowed origin is remembered for this user only, in a file only they can read.
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.originsFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: fixture.originsFile, encoding: .utf8).contains(steps.origin))
        #expect(report.seconds < 40)
        try await fixture.daemon.stop()
    }
}
