import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText

/// `kyso restore FILE`: a backup read back into kysod, on a new machine or the same one (issue 13).
struct RestoreCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "restore", abstract: tr("restore.abstract"), discussion: tr("restore.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("restore.file.help"), valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("passphrase-stdin"), help: ArgumentHelp(tr("passphrase.stdin.help")))
    var passphraseStdin = false

    @Flag(name: .customLong("keep-current"), help: ArgumentHelp(tr("restore.keepCurrent.help")))
    var keepCurrent = false

    @Flag(help: ArgumentHelp(tr("restore.replace.help")))
    var replace = false

    @Flag(name: .customLong("dry-run"), help: ArgumentHelp(tr("restore.dryRun.help")))
    var dryRun = false

    func validate() throws {
        if keepCurrent && replace { throw ValidationError(tr("restore.notBoth")) }
    }

    func run() async throws {
        let backup: BackupFile
        do {
            backup = try APIJSON.decoder().decode(BackupFile.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            Output.error(tr("restore.unreadable", ["path": TerminalText.field(file), "reason": error.localizedDescription]))
            throw ExitCode.failure
        }
        guard backup.format == BackupFile.formatName, backup.version == BackupFile.currentVersion else {
            Output.error(tr("restore.otherFormat", ["path": TerminalText.field(file), "format": TerminalText.field(backup.format),
                                                    "version": String(backup.version), "readsFormat": BackupFile.formatName,
                                                    "readsVersion": String(BackupFile.currentVersion)]))
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
                Output.error(tr("restore.conflictsNoChoice"))
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
        let date = tr.language == .en ? report.backupCreatedAt.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
            : tr.dateTime(report.backupCreatedAt)
        Output.line(tr(report.dryRun ? "restore.report.wouldRestore" : "restore.report.restored", ["date": date]))
        func line(_ title: String, _ accounts: [String]) {
            Output.line(tr("restore.report.line", ["title": tr(title), "accounts": accounts.isEmpty ? tr("restore.report.none")
                                                       : accounts.joined(separator: ", ")]))
        }
        line("restore.report.new", report.restored)
        line("restore.report.unchanged", report.unchanged)
        if !report.kept.isEmpty || !report.replaced.isEmpty {
            line("restore.report.kept", report.kept)
            line("restore.report.replaced", report.replaced)
        }
        Output.line(tr(report.dryRun ? "restore.report.counts.dryRun" : "restore.report.counts",
                       ["secrets": tr.number(report.secrets), "records": tr.number(report.auditRecords)]))
        if !report.conflicts.isEmpty { showConflicts(report.conflicts) }
    }

    static func showConflicts(_ conflicts: [RestoreConflict]) {
        Output.line(tr("restore.conflicts.title"))
        var rows = [["restore.column.account", "restore.column.here", "restore.column.serialHere", "restore.column.boundHere",
                     "restore.column.serialBackup", "restore.column.boundBackup", "restore.column.newer"].map { tr($0) }]
        for conflict in conflicts {
            rows.append([conflict.account, conflict.currentAccount, conflict.currentCertificateSerial, tr.date(conflict.currentCreatedAt),
                         conflict.backupCertificateSerial, tr.date(conflict.backupCreatedAt),
                         tr(conflict.currentIsNewer ? "restore.newer.here" : "restore.newer.backup")])
        }
        Output.text(TextTable.render(rows))
    }
}
