import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// `kyso status`: the daemon's state.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show kysod's version, uptime, PC/SC readers, PKCS#11 modules and audit pruning.",
        discussion: "Exit status: 0 ok, 69 kysod not running, 77 access refused, 1 other errors.")

    @OptionGroup var connection: DaemonConnection
    @Flag(help: "Print the daemon's JSON.") var json = false

    func run() async throws {
        let status: StatusResponse
        do {
            let response = try await connection.client.request(.GET, "/v1/status")
            if json { Output.line(String(decoding: response.body, as: UTF8.self)); return }
            status = try response.decode(StatusResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        let f = TerminalText.field
        Output.line("kysod \(f(status.version)), up \(Int(status.uptimeSeconds)) s, \(status.tokenCount) token(s)")
        Output.line("PC/SC: \(status.pcsc.state.rawValue)\(status.pcsc.error.map { " (\(f($0)))" } ?? "")")
        if let hint = status.pcsc.hint { Output.line("  fix: \(f(hint))") }
        for reader in status.pcsc.readers {
            Output.line("  - \(f(reader.name)): \(reader.cardPresent ? "card, ATR \(f(reader.atr ?? ""))" : "no card")")
        }
        Output.line("Modules:")
        for module in status.modules {
            Output.line("  - \(f(module.name))\(module.path.isEmpty ? "" : " (\(f(module.path)))"): \(f(Self.health(of: module)))")
            if let fix = Self.fix(for: module) { Output.line("    fix: \(fix)") }
        }
        // Pruning is never silent: what the audit retention removed, by category.
        for pruned in status.audit.pruned {
            print("Audit: \(pruned.records) \(pruned.category) record(s) pruned by retention, the last at \(pruned.lastPrunedAt.formatted(.iso8601))")
        }
    }

    /// One line on a module's health: its tokens while loaded, otherwise what is wrong and since when.
    static func health(of module: ModuleStatus, now: Date = Date()) -> String {
        let since = module.since.map { " for \(Int(now.timeIntervalSince($0).rounded())) s" } ?? ""
        let host = module.host.map { host in
            " [host" + (host.pid.map { " pid \($0)" } ?? "") + (host.restarts > 0 ? ", \(host.restarts) restart(s)" : "")
                + (host.crashes > 0 ? ", \(host.crashes) crash(es), last: \(host.lastExit ?? "?")" : "") + "]"
        } ?? (module.isolation == .inProcess ? " [in-process]" : "")
        switch module.state {
        case .loaded: return "\(module.tokenCount) token(s), \(module.watch.rawValue)\(host)"
        case .starting: return "starting\(host)" + (module.error.map { "; previously: \($0)" } ?? "")
        case .stuck where module.host != nil:
            return "STUCK in \(module.pendingCall ?? "a call")\(since); its host is being restarted\(host)"
        case .stuck: return "STUCK in \(module.pendingCall ?? "a call")\(since); its tokens are withdrawn until it answers"
        default: return "FAILED\(module.watch == .none ? "" : since): \(module.error ?? "")\(host)"
        }
    }

    static func fix(for module: ModuleStatus) -> String? {
        switch module.state {
        case .stuck where module.host != nil, .failed where module.host != nil:
            return "kysod restarts the module's host by itself; if it keeps failing, re-plug the token and check the module with `kyso doctor`"
        case .stuck:
            return "re-plug the token or card; if the module stays stuck, restart kysod (systemctl restart kysod): "
                + "a call inside a vendor module cannot be cancelled from outside"
        case .failed where module.watch != .none:
            return "kysod retries at every poll interval; re-plug the token, and check the module with `kyso doctor`"
        default:
            return nil
        }
    }
}
