import Foundation
import Logging
import PKCS11

extension ModuleWatcher {
    /// Blocking, on the scanner thread: waits out the backoff, starts a host and initialises the module through it
    /// (a watched call, so a hung `C_Initialize` gets the host killed at the deadline). True once the module answers.
    func startHost(_ host: ModuleHost, backoff: inout HostRestartBackoff) -> Bool {
        let delay = backoff.nextDelay()
        if delay > .zero {
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(delay.nanoseconds)))
            if isStopped { return false }
        }
        reports.yield(ModuleReport(moduleKey: key, moduleName: module.name, outcome: .hostStarting(host.status)))
        do {
            try host.spawn(timeout: hostStartTimeout) { [weak self] exit in self?.hostExited(exit) }
            try watched("C_Initialize") { () throws(PKCS11Error) in try module.initialize() }
        } catch {
            if isStopped { return false }
            let message = host.killReason.map { "its host was killed: \($0)" } ?? "the module did not start in its host: \(error)"
            host.kill(reason: "its module did not start")
            logger.error("module host failed to start", metadata: ["module": "\(module.name)", "error": "\(message)"])
            reports.yield(ModuleReport(moduleKey: key, moduleName: module.name, outcome: .hostStartFailed(error: message, host: host.status)))
            return false
        }
        host.markServing()
        backoff.serving()
        reports.yield(ModuleReport(moduleKey: key, moduleName: module.name, outcome: .hostServing(host.status)))
        logger.info("module host serving", metadata: ["module": "\(module.name)", "pid": "\(host.status.pid ?? 0)"])
        return true
    }

    /// Called on Foundation's process-reaping thread when a host ends.
    func hostExited(_ exit: ModuleHost.Exit) {
        // A host that failed to start was reported by `startHost` already.
        guard !isStopped, let host, exit.wasCurrent else { return }
        let error = exit.killReason.map { "its host was killed: \($0)" } ?? "its host process \(exit.description)"
        if exit.crashed {
            logger.error("module host ended", metadata: ["module": "\(module.name)", "exit": "\(exit.description)"])
        } else {
            logger.warning("module host killed", metadata: ["module": "\(module.name)", "reason": "\(exit.killReason ?? "")"])
        }
        reports.yield(ModuleReport(moduleKey: key, moduleName: module.name, outcome: .hostExited(error: error, host: host.status)))
        wake.signal()
    }
}
