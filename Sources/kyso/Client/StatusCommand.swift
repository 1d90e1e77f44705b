import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText

/// `kyso status`: the daemon's state.
struct StatusCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "status", abstract: tr("status.abstract"), discussion: tr("exit.daemonCommon"))
    }

    @OptionGroup var connection: DaemonConnection
    @Flag(help: ArgumentHelp(tr("option.daemonJSON.help"))) var json = false

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
        Output.line(tr("status.daemon", ["version": f(status.version), "uptime": tr.number(Int(status.uptimeSeconds)),
                                         "tokens": tr.number(status.tokenCount)]))
        let pcsc = tr("status.pcsc.\(status.pcsc.state.rawValue)")
        Output.line(status.pcsc.error.map { tr("status.pcscWithError", ["state": pcsc, "error": f($0)]) } ?? tr("status.pcsc", ["state": pcsc]))
        if let hint = status.pcsc.hint { Output.line("  " + tr("status.fix", ["fix": f(hint)])) }
        for reader in status.pcsc.readers {
            let card = reader.cardPresent ? tr("status.reader.card", ["atr": f(reader.atr ?? "")]) : tr("status.reader.noCard")
            Output.line("  - \(f(reader.name)): \(card)")
        }
        Output.line(tr("status.modules"))
        for module in status.modules {
            Output.line("  - \(f(module.name))\(module.path.isEmpty ? "" : " (\(f(module.path)))"): \(f(Self.health(of: module)))")
            if let fix = Self.fix(for: module) { Output.line("    " + tr("status.fix", ["fix": fix])) }
        }
        // Pruning is never silent: what the audit retention removed, by category.
        for pruned in status.audit.pruned {
            Output.line(tr("status.auditPruned", ["records": tr.number(pruned.records), "category": pruned.category,
                                                  "last": tr.dateTime(pruned.lastPrunedAt)]))
        }
    }

    /// One line on a module's health: its tokens while loaded, otherwise what is wrong and since when.
    static func health(of module: ModuleStatus, now: Date = Date()) -> String {
        let since = module.since.map { tr("status.since", ["seconds": tr.number(Int(now.timeIntervalSince($0).rounded()))]) } ?? ""
        let host = module.host.map { host in
            var parts = [tr("status.host")]
            if let pid = host.pid { parts[0] = tr("status.hostPID", ["pid": String(pid)]) }
            if host.restarts > 0 { parts.append(tr("status.hostRestarts", ["count": tr.number(host.restarts)])) }
            if host.crashes > 0 {
                parts.append(tr("status.hostCrashes", ["count": tr.number(host.crashes), "lastExit": host.lastExit ?? "?"]))
            }
            return " [" + parts.joined(separator: ", ") + "]"
        } ?? (module.isolation == .inProcess ? " [\(tr("status.inProcess"))]" : "")
        let call = module.pendingCall ?? tr("status.aCall")
        switch module.state {
        case .loaded:
            return tr("status.module.loaded", ["tokens": tr.number(module.tokenCount), "watch": module.watch.rawValue]) + host
        case .starting:
            return tr("status.module.starting") + host + (module.error.map { "; " + tr("status.previously", ["error": $0]) } ?? "")
        case .stuck where module.host != nil:
            return tr("status.module.stuckRestarting", ["call": call, "since": since]) + host
        case .stuck:
            return tr("status.module.stuck", ["call": call, "since": since])
        default:
            return tr("status.module.failed", ["since": module.watch == .none ? "" : since, "error": module.error ?? ""]) + host
        }
    }

    static func fix(for module: ModuleStatus) -> String? {
        switch module.state {
        case .stuck where module.host != nil, .failed where module.host != nil:
            return tr("status.fix.hostRestarts")
        case .stuck:
            return tr("status.fix.stuck")
        case .failed where module.watch != .none:
            return tr("status.fix.failed")
        default:
            return nil
        }
    }
}
