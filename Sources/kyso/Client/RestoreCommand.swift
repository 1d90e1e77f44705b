import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// `kyso restore FILE`: a backup read back into kysod, on a new machine or the same one (issue 13).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore bindings, stored secrets and the audit log from a `kyso backup` file.",
        discussion: """
            kysod opens the file with its passphrase (asked once; --passphrase-stdin reads the first line of standard \
            input) and adds the backup's bindings, their secrets (host-sealed ones sealed again with this kysod's host \
            key) and the audit records it does not have yet. An account bound differently here (another certificate \
            or a later binding) or a certificate serving another account here is a conflict: kyso lists them and \
            changes nothing unless you choose --keep-current (keep what is here, skip those accounts) or --replace \
            (the backup's binding replaces the one here). --dry-run shows what would happen. Needs the admin right; \
            recorded in kysod's audit log. \
            Exit status: 0 restored (or shown), 1 conflicts without a choice, refused or unreadable, 64 usage error, \
            69 kysod not running, 77 access refused.
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("A file `kyso backup` saved.", valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("passphrase-stdin"), help: "Read the passphrase from the first line of standard input.")
    var passphraseStdin = false

    @Flag(name: .customLong("keep-current"), help: "On a conflict, keep the binding here and skip the backup's.")
    var keepCurrent = false

    @Flag(help: "On a conflict, replace the binding here with the backup's (and its secrets).")
    var replace = false

    @Flag(name: .customLong("dry-run"), help: "Show what the restore would do; change nothing.")
    var dryRun = false

    func validate() throws {
        if keepCurrent && replace { throw ValidationError("choose --keep-current or --replace, not both") }
    }

    func run() async throws {
        let backup: BackupFile
        do {
            backup = try APIJSON.decoder().decode(BackupFile.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            Output.error("kyso: \(TerminalText.field(file)) is not a readable Kyso backup (\(error.localizedDescription))")
            throw ExitCode.failure
        }
        guard backup.format == BackupFile.formatName, backup.version == BackupFile.currentVersion else {
            Output.error("kyso: \(TerminalText.field(file)) is a \(TerminalText.field(backup.format)) version \(backup.version) file; "
                + "this kyso reads \(BackupFile.formatName) version \(BackupFile.currentVersion)")
            throw ExitCode.failure
        }
        let passphrase = try Passphrase.read(fromStdin: passphraseStdin, twice: false)
        let choice: RestoreChoice? = keepCurrent ? .keepCurrent : replace ? .replace : nil
        do {
            // Looked at first, so conflicts are shown before anything changes.
            let preview = try await send(RestoreRequest(backup: backup, passphrase: passphrase, onConflict: choice, dryRun: true))
            if dryRun {
                Self.show(preview)
                return
            }
            if !preview.conflicts.isEmpty && choice == nil {
                Self.showConflicts(preview.conflicts)
                Output.error("kyso: nothing restored; choose --keep-current (keep what is here) or --replace (the backup's bindings win)")
                throw ExitCode.failure
            }
            Self.show(try await send(RestoreRequest(backup: backup, passphrase: passphrase, onConflict: choice)))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw ClientExit.fail(error)
        }
    }

    private func send(_ request: RestoreRequest) async throws -> RestoreReport {
        let body = Array(try APIJSON.encoder().encode(request))
        return try await connection.client.request(.POST, "/v1/restore", body: body).decode(RestoreReport.self)
    }

    static func show(_ report: RestoreReport) {
        let date = report.backupCreatedAt.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
        Output.line((report.dryRun ? "Would restore" : "Restored") + " from the backup of \(date):")
        func line(_ title: String, _ accounts: [String]) {
            Output.line("  \(title): \(accounts.isEmpty ? "none" : accounts.joined(separator: ", "))")
        }
        line("new accounts", report.restored)
        line("unchanged", report.unchanged)
        if !report.kept.isEmpty || !report.replaced.isEmpty {
            line("kept as bound here", report.kept)
            line("replaced by the backup's", report.replaced)
        }
        Output.line("  secrets: \(report.secrets); audit records \(report.dryRun ? "in the backup" : "added"): \(report.auditRecords)")
        if !report.conflicts.isEmpty { showConflicts(report.conflicts) }
    }

    static func showConflicts(_ conflicts: [RestoreConflict]) {
        Output.line("Bound differently here:")
        let day = Date.ISO8601FormatStyle().year().month().day()
        var rows = [["ACCOUNT", "HERE", "SERIAL HERE", "BOUND HERE", "SERIAL IN BACKUP", "BOUND IN BACKUP", "NEWER"]]
        for conflict in conflicts {
            rows.append([conflict.account, conflict.currentAccount, conflict.currentCertificateSerial, conflict.currentCreatedAt.formatted(day),
                         conflict.backupCertificateSerial, conflict.backupCreatedAt.formatted(day), conflict.currentIsNewer ? "here" : "backup"])
        }
        Output.text(TextTable.render(rows))
    }
}
