import ArgumentParser
import Foundation
import KysoAPI

/// `kyso audit`: kysod's record of signatures, registrations, binding changes and secret reveals.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show kysod's audit log, newest first: who signed, registered, bound or revealed what.",
        discussion: """
            Each record has the time, the caller's uid, pid and program, the token and certificate, the mechanism, the \
            SHA-256 of what was signed, and the outcome; never a PIN, a secret or the signed data. \
            Exit status: 0 ok, 1 other errors, 64 usage error, 69 kysod not running, 77 access refused (needs the admin capability).
            """)

    @OptionGroup var connection: DaemonConnection
    @Option(help: "How many records, at most (1 to 1000).") var limit = 50
    @Flag(help: "Print the daemon's JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
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
            Output.line("The audit log is empty.")
            return
        }
        var rows: [[String]] = [["TIME", "ACTION", "OUTCOME", "UID", "PID", "PROGRAM", "TOKEN", "CERTIFICATE", "DETAIL"]]
        for entry in audit.entries {
            rows.append([
                entry.time.formatted(.iso8601), entry.action, entry.outcome, entry.uid.map(String.init) ?? "-",
                entry.pid.map(String.init) ?? "-", entry.executable.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "-",
                entry.tokenId ?? "-", entry.certificateSha256.map { String($0.prefix(16)) } ?? "-", entry.detail ?? "",
            ])
        }
        Output.text(TextTable.render(rows))
    }
}
