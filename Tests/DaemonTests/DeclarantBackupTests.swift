import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Issue 13: `kyso backup` and `kyso restore` for moving to a new machine, over the real socket on a SoftHSM lab copy.
@Suite("backup and restore (issue 13)")
struct DeclarantBackupTests {
    static let passphrase = "correct horse battery staple"

    /// kysod again on the fixture's lab with a state folder of its own (empty: a new machine with the same tokens).
    static func freshDaemon(_ fixture: DeclarantAccountTests.Fixture) async throws -> DaemonProcess {
        try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"],
            environment: ["SOFTHSM2_CONF": fixture.labDirectory.appendingPathComponent("softhsm2.conf").path])
    }

    @Test("a backup moves bindings, host- and token-sealed secrets and the audit; a restore reports conflicts and needs a choice")
    func backupAndRestore() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let viettel = try fixture.labToken("kyso-viettel")
        try fixture.registerAndBind("KYSOB001", label: "kyso-viettel")
        try fixture.registerAndBind("KYSOB002", label: "kyso-fpt")
        let secrets: [(String, String, String)] = [("KYSOB001", "password", "pw#2026x"), ("KYSOB002", "terminalAccessKey", "TAK0FPT002")]
        for (account, kind, value) in secrets {
            let set = try fixture.kyso(["account", "set-secret", account, kind, "--stdin", "--sealing", "host"], input: value + "\n")
            #expect(set.status == 0, "\(set)")
        }
        let sealed = try await fixture.client.request(.PUT, "/v1/bindings/KYSOB001/secrets/terminalAccessKey",
                                                      body: Array(#"{"value":"TAK0TOKEN1","sealing":"token","pin":"\#(viettel.pin)"}"#.utf8))
        #expect(sealed.status == 200, "\(String(decoding: sealed.body, as: UTF8.self))")

        // The backup: a private file, versioned, with nothing readable inside.
        let file = fixture.folder.appendingPathComponent("kyso.backup").path
        let short = try fixture.kyso(["backup", file, "--passphrase-stdin"], input: "short\n")
        #expect(short.status == 64 && short.stderr.contains("at least 10 characters") && !FileManager.default.fileExists(atPath: file), "\(short)")
        let shortAPI = try await fixture.client.request(.POST, "/v1/backup", body: Array(#"{"passphrase":"short"}"#.utf8))
        #expect(shortAPI.status == 400 && shortAPI.decodeProblem()?.detail?.contains("at least 10 characters") == true)
        let saved = try fixture.kyso(["backup", file, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(saved.status == 0 && saved.stdout.contains("Saved the backup"), "\(saved)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(#""format" : "kyso-backup""#) && text.contains(#""version" : 1"#) && text.contains(#""name" : "scrypt""#), "\(text)")
        for readable in ["KYSOB001", "pw#2026x", "TAK0FPT002", viettel.certificates[0].sha256] { #expect(!text.contains(readable)) }
        let again = try fixture.kyso(["backup", file, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(again.status == 64 && again.stderr.contains("--force"), "\(again)")
        let audited = try await fixture.client.get("/v1/audit", as: AuditResponse.self).entries
        #expect(audited.contains { $0.action == "backup" && $0.outcome == "success" && $0.detail?.contains("2 bindings, 3 secrets") == true }, "\(audited)")
        #expect(try await fixture.daemon.stop() == 0)

        // A new machine: the same tokens, an empty state folder.
        let fresh = try await Self.freshDaemon(fixture)
        let client = KysoClient(socketPath: fresh.socketPath)
        func kyso(_ arguments: [String], input: String? = nil) throws -> KysoRun { try KysoRun.run(arguments + ["--socket", fresh.socketPath], input: input) }
        let wrong = try kyso(["restore", file, "--passphrase-stdin"], input: "not the passphrase\n")
        #expect(wrong.status == 1 && wrong.stderr.contains("wrong passphrase"), "\(wrong)")
        var tampered = text
        let sealedValue = try #require(text.range(of: #""sealed" : ""#))
        let target = tampered.index(sealedValue.upperBound, offsetBy: 40)
        tampered.replaceSubrange(target...target, with: tampered[target] == "A" ? "B" : "A")
        let tamperedFile = fixture.folder.appendingPathComponent("tampered.backup").path
        try tampered.write(toFile: tamperedFile, atomically: true, encoding: .utf8)
        let changed = try kyso(["restore", tamperedFile, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(changed.status == 1 && changed.stderr.contains("backup-unreadable"), "\(changed)")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty, "a refused restore changed something")
        let refusals = try await client.get("/v1/audit", as: AuditResponse.self).entries.filter { $0.action == "restore" }
        #expect(refusals.count == 2 && refusals.allSatisfy { $0.outcome == "refused" && $0.detail?.hasPrefix("backup-unreadable") == true },
                "wrong passphrases and changed files are not in the audit: \(refusals)")

        let restored = try kyso(["restore", file, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(restored.status == 0 && restored.stdout.contains("new accounts: KYSOB001, KYSOB002")
                && restored.stdout.contains("secrets: 3"), "\(restored)")
        #expect(try kyso(["secret", "KYSOB001", "password"]).stdout == "pw#2026x\n", "a host-sealed secret did not survive")
        #expect(try kyso(["secret", "KYSOB002", "terminalAccessKey"]).stdout == "TAK0FPT002\n")
        let opened = try await client.request(.POST, "/v1/bindings/KYSOB001/secrets/terminalAccessKey",
                                              body: Array(#"{"pin":"\#(viettel.pin)"}"#.utf8)).decode(SecretResponse.self)
        #expect(opened.value == "TAK0TOKEN1", "a token-sealed secret did not survive")
        let log = try await client.get("/v1/audit?limit=1000", as: AuditResponse.self).entries
        #expect(log.contains { $0.action == "restore" && $0.outcome == "success" }, "\(log)")
        #expect(log.filter { $0.action == "bind" && $0.outcome == "success" }.count == 2, "the old machine's audit did not come along")
        #expect(log.contains { $0.action == "backup" }, "the old machine's audit did not come along")

        // The same backup again: every account unchanged, no audit record twice.
        let twice = try kyso(["restore", file, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(twice.status == 0 && twice.stdout.contains("unchanged: KYSOB001, KYSOB002") && twice.stdout.contains("audit records added: 0"), "\(twice)")

        // KYSOB002 bound again here after the backup: newer than the backup's, so a conflict.
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try kyso(["unbind", "KYSOB002", "--yes"]).status == 0)
        try fixture.registerAndBind("KYSOB002", label: "kyso-fpt", socket: fresh.socketPath)
        let rebound = try await client.get("/v1/bindings/KYSOB002", as: BindingInfo.self)
        let stopped = try kyso(["restore", file, "--passphrase-stdin"], input: Self.passphrase + "\n")
        #expect(stopped.status == 1 && stopped.stdout.contains("Bound differently here") && stopped.stdout.contains("KYSOB002")
                && stopped.stderr.contains("--keep-current"), "\(stopped)")
        let conflictLine = try #require(stopped.stdout.split(separator: "\n").first { $0.hasPrefix("KYSOB002") })
        #expect(conflictLine.hasSuffix("here"), "the newer binding is not named: \(conflictLine)")
        #expect(try await client.get("/v1/bindings/KYSOB002", as: BindingInfo.self) == rebound, "a restore without a choice changed a binding")
        let api = try await client.request(.POST, "/v1/restore", body: Array(try APIJSON.encoder().encode(
            RestoreRequest(backup: try APIJSON.decoder().decode(BackupFile.self, from: Data(text.utf8)), passphrase: SecretBytes(Self.passphrase)))))
        #expect(api.status == 409 && api.decodeProblem()?.code == "restore-conflict", "\(String(decoding: api.body, as: UTF8.self))")

        let kept = try kyso(["restore", file, "--passphrase-stdin", "--keep-current"], input: Self.passphrase + "\n")
        #expect(kept.status == 0 && kept.stdout.contains("kept as bound here: KYSOB002"), "\(kept)")
        #expect(try await client.get("/v1/bindings/KYSOB002", as: BindingInfo.self).createdAt == rebound.createdAt)
        let replaced = try kyso(["restore", file, "--passphrase-stdin", "--replace"], input: Self.passphrase + "\n")
        #expect(replaced.status == 0 && replaced.stdout.contains("replaced by the backup's: KYSOB002"), "\(replaced)")
        let back = try await client.get("/v1/bindings/KYSOB002", as: BindingInfo.self)
        #expect(back.createdAt < rebound.createdAt && back.secrets == ["terminalAccessKey"], "\(back)")
        #expect(try kyso(["secret", "KYSOB002", "terminalAccessKey"]).stdout == "TAK0FPT002\n")
        let serverLog = fresh.log()
        #expect(try await fresh.stop() == 0)
        for secret in [Self.passphrase, "pw#2026x", "TAK0FPT002", "TAK0TOKEN1"] { #expect(!serverLog.contains(secret), "kysod's log has a secret") }
    }
}
