import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Issue 13: certificates near their end or past it, on a lab copy with a token whose certificate ends in 11 days
/// and one whose certificate has ended (`kyso-lab add-token --valid-days`).
@Suite("certificates near or past their end (issue 13)")
struct DeclarantExpiryTests {
    @Test("reminders once each at start-up, a warning when binding one with 11 days left and when signing with an expired one")
    func nearAndPastTheEnd() async throws {
        let (labDirectory, _) = try await Lab.copy()
        let lab = labDirectory.path
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-short", "--provider", "viettel", "--valid-days", "11"])
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-ended", "--provider", "fpt", "--valid-days", "0"])
        let manifest = try JSONDecoder().decode(LabManifest.self, from: try Lab.tool(["list", lab]))
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"],
            environment: ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path])
        let client = KysoClient(socketPath: daemon.socketPath)
        let fixture = DeclarantAccountTests.Fixture(daemon: daemon, client: client, manifest: manifest, labDirectory: labDirectory,
                                                    folder: labDirectory.appendingPathComponent("work"))
        try FileManager.default.createDirectory(at: fixture.folder, withIntermediateDirectories: true)
        let short = try fixture.labToken("kyso-short").certificates[0]
        let ended = try fixture.labToken("kyso-ended").certificates[0]

        // Every token arrived at start-up (each one a reason to look again): still one reminder per certificate.
        let tokens = manifest.tokens.count
        var events = try await DeclarantAccountTests.eventsSoFar(client)
        let deadline = ContinuousClock.now + .seconds(20)
        while events.filter({ $0.event == "token.inserted" }).count < tokens && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            events = try await DeclarantAccountTests.eventsSoFar(client)
        }
        try await Task.sleep(for: .seconds(1))
        events = try await DeclarantAccountTests.eventsSoFar(client)
        let expiring = events.filter { $0.event == "certificate.expiring" }
        #expect(expiring.count == 1 && expiring.first?.data.contains(short.sha256) == true, "\(expiring.map(\.data))")
        #expect(expiring.first?.data.contains(#""daysLeft":10"#) == true, "\(expiring.map(\.data))")
        let expired = events.filter { $0.event == "certificate.expired" }
        #expect(expired.count == 1 && expired.first?.data.contains(ended.sha256) == true, "\(expired.map(\.data))")
        #expect(daemon.log().contains("certificate expires soon") && daemon.log().contains("certificate expired"))

        // Binding the certificate with 11 days left works, with a warning, and binding.expiring comes at once (once).
        let out = fixture.folder.appendingPathComponent("short").path
        let registered = try fixture.kyso(["register", "declarant", "--tax-code", short.taxCode ?? "", "--user-id", "KYSOE001",
                                           "--terminal-id", "T00003", "--certificate", short.sha256, "--pin-stdin", "--out", out],
                                          input: "123456\n")
        #expect(registered.status == 0, "\(registered)")
        let bound = try fixture.kyso(["bind", out + "/statement.json", out + "/signature.der"])
        #expect(bound.status == 0 && bound.stderr.contains("warning: certificate") && bound.stderr.contains("day(s) left"), "\(bound)")
        let afterBind = try await DeclarantAccountTests.eventsSoFar(client).filter { $0.event == "binding.expiring" }
        #expect(afterBind.count == 1 && afterBind.first?.data.contains("KYSOE001") == true, "\(afterBind.map(\.data))")

        // kyso doctor lists the account whose certificate ends soon.
        let doctor = try fixture.kyso(["doctor", "--no-registered-modules"])
        #expect(doctor.stdout.contains("account KYSOE001's certificate") && doctor.stdout.contains("day(s) left"), "\(doctor)")

        // Signing with the expired certificate: made, with a warning before the PIN.
        let endedToken = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-ended" })
        let file = fixture.folder.appendingPathComponent("old-declaration.xml")
        try Data("<tờ-khai/>".utf8).write(to: file)
        let signed = try fixture.kyso(["sign", endedToken.id, file.path, "--out", file.path + ".sig", "--pin-stdin"], input: "123456\n")
        #expect(signed.status == 0 && signed.stderr.contains("warning: certificate") && signed.stderr.contains("expired on"), "\(signed)")

        // The expiry gauge is negative for the ended certificate.
        let metrics = String(decoding: try await client.request(.GET, "/metrics").body, as: UTF8.self)
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("kysod_certificate_expiry_seconds{certificate=\"\(ended.sha256)\"}") })
        #expect((Double(line.split(separator: " ").last ?? "") ?? 0) < 0, "\(line)")
        #expect(try await daemon.stop() == 0)
    }
}
