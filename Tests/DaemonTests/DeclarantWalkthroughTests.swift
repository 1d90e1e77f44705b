import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Issue 13's whole flow, as the IT person of a small import-export company did it, with `kyso` only: doctor, the
/// admin account, two declarant accounts on two tokens, the account card, a signature, a renewal and rebind, a
/// password change, a backup and a restore on a new machine (a fresh state folder). Each step's output is checked.
@Suite("the declarant's job, end to end (issue 13 walk-through)")
struct DeclarantWalkthroughTests {
    @Test("doctor → admin account → two declarants → card → sign → renew and rebind → new password → backup → restore", .timeLimit(.minutes(5)))
    func walkthrough() async throws {
        let started = try await LabDaemon.start()
        var daemon = started.daemon
        let lab = started.directory
        let work = lab.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let environment = ["SOFTHSM2_CONF": lab.appendingPathComponent("softhsm2.conf").path]
        func kyso(_ arguments: [String], input: String? = nil) throws -> KysoRun {
            try KysoRun.run(arguments + ["--socket", daemon.socketPath], input: input, environment: environment)
        }
        let manifest = started.manifest
        let vnpt = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" })
        // One company: its own certificate, its employee's and its branch's (the lab gives them one tax code).
        let company = try #require(vnpt.certificates.first?.taxCode)
        let person = try #require(manifest.tokens.first { $0.kind == "person" && $0.certificates.first?.taxCode == company })
        let branch = try #require(manifest.tokens.first { $0.label == "kyso-branch" })
        #expect(branch.certificates.first?.taxCode?.hasPrefix(company + "-") == true)

        // 1. kyso doctor: the answer first, then the detail.
        let doctor = try kyso(["doctor", "--no-registered-modules", "--module", Lab.softHSMModule])
        #expect(doctor.stdout.hasPrefix("\(manifest.tokens.count) tokens ready"), "\(doctor)")
        #expect(doctor.stdout.contains("kysod \(KysoVersion.current)"), "\(doctor)")

        // 2. The admin account first, on the company's certificate (named by its serial number, as the CA shows it).
        let tokens = try await started.client.get("/v1/tokens", as: TokenListResponse.self).tokens
        func serial(_ label: String) throws -> String {
            try #require(tokens.first { $0.label == label }?.certificates.first?.profile.serialNumber.hex)
        }
        let admin = work.appendingPathComponent("admin").path
        let adminRegistered = try kyso(["register", "admin", "--tax-code", company, "--certificate", try serial(vnpt.label),
                                        "--pin-stdin", "--out", admin], input: vnpt.pin + "\n")
        #expect(adminRegistered.status == 0, "\(adminRegistered)")
        let adminBound = try kyso(["bind", admin + "/statement.json", admin + "/signature.der"])
        #expect(adminBound.status == 0 && adminBound.stdout.contains(company), "\(adminBound)")

        // 3. One declarant account per certificate, each on its own token, with its secrets.
        let declarants = [("VIETA001", "T00001", person, "TAK0VIETA1", "pw#2026a"), ("VIETA002", "T00002", branch, "TAK0VIETA2", "pw#2026b")]
        for (userId, terminalId, token, accessKey, password) in declarants {
            let folder = work.appendingPathComponent(userId).path
            let registered = try kyso(["register", "declarant", "--tax-code", company, "--user-id", userId, "--terminal-id", terminalId,
                                       "--certificate", token.certificates[0].sha256.prefix(12).description, "--pin-stdin", "--out", folder],
                                      input: token.pin + "\n")
            #expect(registered.status == 0, "\(userId): \(registered)")
            let bound = try kyso(["bind", folder + "/statement.json", folder + "/signature.der", "--secrets-fd", "0", "--seal-to", "host"],
                                 input: "\(accessKey)\n\(password)\n")
            #expect(bound.status == 0 && bound.stdout.contains(userId), "\(userId): \(bound)")
        }
        let bindings = try kyso(["bindings"])
        for account in [company, "VIETA001", "VIETA002"] { #expect(bindings.stdout.contains(account), "\(bindings)") }
        let table = try kyso(["tokens"])
        let personLine = try #require(table.stdout.split(separator: "\n").first { $0.contains("VIETA001") }, "\(table)")
        #expect(personLine.count <= 100 && personLine.contains("valid"), "\(personLine)")

        // 4. The account card, in the order of the declaration software's parameters screen.
        let card = try kyso(["account", "show", "VIETA001", "--secrets"])
        #expect(card.status == 0, "\(card)")
        let order = ["User ID", "VIETA001", "Password", "pw#2026a", "Terminal ID", "T00001", "Terminal access key", "TAK0VIETA1",
                     "Certificate serial", "Tax code", company, "CA provider"]
        // Each field after the one before it (the heading names the account first).
        var rest = try #require(card.stdout.range(of: "User ID").map { card.stdout[$0.lowerBound...] }, "\(card.stdout)")
        for field in order {
            let found = try #require(rest.range(of: field), "\(field) is missing or out of order: \(card.stdout)")
            rest = rest[found.upperBound...]
        }

        // 5. A declaration signed on the branch's token (named by its label), checked by openssl.
        let declaration = work.appendingPathComponent("to-khai.xml")
        try Data("<tờ-khai số=\"1\"/>".utf8).write(to: declaration)
        let signed = try kyso(["sign", branch.label, declaration.path, "--cms", "--out", declaration.path + ".p7s", "--pin-stdin"],
                              input: branch.pin + "\n")
        #expect(signed.status == 0, "\(signed)")
        _ = try Shell.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", declaration.path + ".p7s", "-content",
                                      declaration.path, "-noverify", "-out", "/dev/null"])

        // 6. The CA renews the person's certificate onto a new token; kysod notices; the account moves over.
        let state = daemon.directory.appendingPathComponent("state").path
        #expect(try await daemon.stop() == 0)
        _ = try Lab.tool(["add-token", lab.path, "--label", "renewed-2027", "--renewal-of", person.label])
        let renewedDaemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2", "--state-dir", state],
            environment: environment)
        daemon = renewedDaemon
        let client = KysoClient(socketPath: daemon.socketPath)
        let notices = try await DeclarantAccountTests.renewalNotices(client, tokens: manifest.tokens.count + 1)
        #expect(notices.count == 1 && notices.first?.data.contains("VIETA001") == true, "\(notices.map(\.data))")
        let renewed = try #require(try Lab.manifest(lab).tokens.first { $0.label == "renewed-2027" })
        let renewal = work.appendingPathComponent("renewal").path
        let reRegistered = try kyso(["register", "declarant", "--tax-code", company, "--user-id", "VIETA001", "--terminal-id", "T00001",
                                     "--certificate", renewed.certificates[0].sha256, "--pin-stdin", "--out", renewal], input: renewed.pin + "\n")
        #expect(reRegistered.status == 0 && reRegistered.stderr.contains("rebind with: kyso rebind VIETA001"), "\(reRegistered)")
        let rebound = try kyso(["rebind", "VIETA001", renewal + "/statement.json", renewal + "/signature.der", "--yes"])
        #expect(rebound.status == 0, "\(rebound)")
        let moved = try await client.get("/v1/bindings/VIETA001", as: BindingInfo.self)
        #expect(moved.certificate.sha256 == renewed.certificates[0].sha256 && moved.secrets.sorted() == ["password", "terminalAccessKey"], "\(moved)")

        // 7. The customs office reset the password: change it, without unbinding.
        let changed = try kyso(["account", "set-secret", "VIETA001", "password", "--stdin", "--yes"], input: "pw#2027c\n")
        #expect(changed.status == 0 && changed.stdout.contains("Stored the VNACCS password of VIETA001"), "\(changed)")
        #expect(try kyso(["secret", "VIETA001", "password"]).stdout == "pw#2027c\n")

        // 8. Backup, then a new machine: the same tokens, an empty state folder, and the restore.
        let backup = work.appendingPathComponent("viet-a.backup").path
        let saved = try kyso(["backup", backup, "--passphrase-stdin"], input: "Việt Á backup 2026\n")
        #expect(saved.status == 0, "\(saved)")
        let before = try await client.get("/v1/bindings", as: BindingListResponse.self).bindings
        #expect(try await daemon.stop() == 0)
        daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"], environment: environment)
        #expect(try kyso(["bindings"]).stdout.contains("VIETA001") == false, "the new machine's state folder is not fresh")
        let restored = try kyso(["restore", backup, "--passphrase-stdin"], input: "Việt Á backup 2026\n")
        #expect(restored.status == 0 && restored.stdout.contains("new accounts: \(company), VIETA001, VIETA002"), "\(restored)")
        let after = try await KysoClient(socketPath: daemon.socketPath).get("/v1/bindings", as: BindingListResponse.self).bindings
        #expect(after == before, "the restored bindings differ")
        let restoredCard = try kyso(["account", "show", "VIETA001", "--secrets"])
        #expect(restoredCard.stdout.contains("pw#2027c") && restoredCard.stdout.contains("TAK0VIETA1"), "\(restoredCard)")
        let audit = try kyso(["audit", "--limit", "200"])
        #expect(audit.stdout.contains("sign") && audit.stdout.contains("rebind") && audit.stdout.contains("restore"), "\(audit)")
        let newDoctor = try kyso(["doctor", "--no-registered-modules", "--module", Lab.softHSMModule])
        #expect(newDoctor.stdout.hasPrefix("\(manifest.tokens.count + 1) tokens ready"), "\(newDoctor)")
        #expect(try await daemon.stop() == 0)
    }
}
