import ArgumentParser
import Foundation
import KysoText
import KysoAPI

/// `kyso audit`: kysod's record of signatures, registrations, binding changes and secret reveals.
struct AuditCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "audit", abstract: tr("audit.abstract"), discussion: tr("audit.discussion"))
    }

    @OptionGroup var connection: DaemonConnection
    @Option(help: ArgumentHelp(tr("audit.limit.help"))) var limit = 50
    @Flag(help: ArgumentHelp(tr("option.daemonJSON.help"))) var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError(tr("audit.error.limit")) }
    }

    func run() async throws {
        let audit: AuditResponse
        do {
            let response = try await connection.client.request(.GET, "/v1/audit?limit=\(limit)")
            if json { Output.line(String(decoding: response.body, as: UTF8.self)); return }
            audit = try response.decode(AuditResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        if audit.entries.isEmpty {
            Output.line(tr("audit.empty"))
            return
        }
        var rows: [[String]] = [["audit.column.time", "audit.column.action", "audit.column.outcome", "audit.column.uid", "audit.column.pid",
                                 "audit.column.program", "audit.column.token", "audit.column.certificate", "audit.column.detail"].map { tr($0) }]
        for entry in audit.entries {
            rows.append([
                tr.dateTime(entry.time), entry.action, entry.outcome, entry.uid.map(String.init) ?? "-",
                entry.pid.map(String.init) ?? "-", entry.executable.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "-",
                entry.tokenId ?? "-", entry.certificateSha256.map { String($0.prefix(16)) } ?? "-", entry.detail ?? "",
            ])
        }
        Output.text(TextTable.render(rows))
    }
}
