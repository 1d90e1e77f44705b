import Foundation
import KysoAPI
import TokenScan
public import Logging
public import PKCS11
public import ServiceLifecycle
import Synchronization

/// Loads the PKCS#11 modules, watches their slots and keeps the inventory current.
///
/// Module loading and every PKCS#11 call happen on threads of this service's own (see `ModuleWatcher`);
/// `run()` only consumes their reports. A module that fails to load is reported in status, never fatal.
public final class ModuleService: Service, Sendable {
    public let inventory: Inventory
    private let settings: DaemonSettings
    private let logger: Logger
    private let watchers = Mutex<[ModuleWatcher]>([])
    private let firstInventory: Readiness.Step

    public init(inventory: Inventory, settings: DaemonSettings, readiness: Readiness, logger: Logger) {
        self.inventory = inventory
        self.settings = settings
        self.logger = logger
        firstInventory = readiness.step("inventory")
    }

    /// Rescans every module at once: called when a reader or card changes, so PC/SC tokens show up
    /// without waiting for the poll interval.
    public func rescanAll() {
        for watcher in watchers.withLock({ $0 }) { watcher.rescan() }
    }

    /// The loaded module with this key (its path), for operations on its tokens.
    public func module(forKey key: String) -> PKCS11Module? {
        watchers.withLock { $0.first { $0.key == key }?.module }
    }

    public func run() async throws {
        let (reports, continuation) = AsyncStream.makeStream(of: ModuleReport.self)
        let settings = self.settings
        let logger = self.logger
        let inventory = self.inventory
        // Loading in-process modules and the watchers' slot-event probe call into modules: off the cooperative pool.
        let started = await onDedicatedThread(name: "kyso-modules") {
            ModuleLoader.watchers(settings: settings, inventory: inventory, reports: continuation, logger: logger)
        }
        watchers.withLock { $0 = started }
        for watcher in started {
            if let host = watcher.host {
                inventory.moduleStarting(key: watcher.key, name: watcher.module.name, path: watcher.module.path, host: host.status)
            } else {
                inventory.moduleLoaded(key: watcher.key, name: watcher.module.name, path: watcher.module.path, watch: watcher.mode)
            }
            watcher.start()
        }
        var pending = Set(started.map(\.key))
        if pending.isEmpty { firstInventory.done() }

        let firstInventory = self.firstInventory
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await Self.watchdog(started, deadline: settings.signDeadline, inventory: inventory, logger: logger) }
                // A module host still starting (a slow or hung C_Initialize) does not hold readiness back for long:
                // the API answers without its tokens, which follow with token.inserted.
                group.addTask {
                    try? await Task.sleep(for: Self.startGrace)
                    firstInventory.done()
                }
                for await report in reports.cancelOnGracefulShutdown() {
                    handle(report)
                    if report.isFirstAnswer, pending.remove(report.moduleKey) != nil, pending.isEmpty { firstInventory.done() }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.finish()
        }

        // Stop scanning, then finalise each module off the cooperative pool: C_Finalize may wait on a card, and a
        // module stuck in a call would make it wait forever.
        for watcher in started { watcher.stop() }
        await onDedicatedThread(name: "kyso-finalize") { ModuleFinalizer.finalize(started, logger: logger) }
        logger.info("modules finalised")
    }

    /// How long readiness waits for module hosts that are still starting.
    static let startGrace: Duration = .seconds(5)

    /// A call on `tokenId`'s module went past its deadline (a signature or decryption): an isolated module's host is
    /// killed, which ends the call, withdraws the module's tokens and starts a new host. An in-process module can
    /// only be left to return.
    func callOverdue(tokenId: String, function: String, startedAt: Date) {
        guard let location = inventory.location(of: tokenId),
              let watcher = watchers.withLock({ $0.first { $0.key == location.moduleKey } }), let host = watcher.host else { return }
        let events = inventory.moduleStuck(key: watcher.key, function: function, startedAt: startedAt, restarting: true)
        logger.error("module stuck: killing its host", metadata: ["module": "\(watcher.module.name)", "call": "\(function)", "token": "\(tokenId)"])
        log(events)
        host.kill(reason: "\(function) on token \(tokenId) did not return within the deadline")
    }

    private func handle(_ report: ModuleReport) {
        switch report.outcome {
        case .scanned(let tokens, let failedSlots):
            let events = inventory.apply(moduleKey: report.moduleKey, moduleName: report.moduleName, tokens: tokens)
            log(events)
            for failure in failedSlots {
                logger.warning("token unreadable", metadata: ["module": "\(report.moduleName)", "slot": "\(failure.slot)", "error": "\(failure.error)"])
            }
        case .hostStarting(let host):
            inventory.moduleStarting(key: report.moduleKey, name: report.moduleName, path: report.moduleKey, host: host)
        case .hostServing(let host):
            inventory.setHostStatus(key: report.moduleKey, host: host)
        case .hostStartFailed(let error, let host):
            inventory.setHostStatus(key: report.moduleKey, host: host)
            log(inventory.moduleFailing(key: report.moduleKey, error: error, since: Date()))
        case .hostExited(let error, let host):
            log(inventory.moduleHostExited(key: report.moduleKey, error: error, host: host))
        case .failing(let error, let consecutive, let since):
            guard consecutive >= ModuleWatcher.failuresBeforeFailed else { return }
            let events = inventory.moduleFailing(key: report.moduleKey, error: error.description, since: since)
            if !events.isEmpty {
                logger.error("module failed; its tokens are withdrawn until its slot list reads again",
                             metadata: ["module": "\(report.moduleName)", "error": "\(error)", "failures": "\(consecutive)"])
            }
            log(events)
        }
    }

    private func log(_ events: [DaemonEvent]) {
        for event in events where event.type == .tokenInserted || event.type == .tokenRemoved || event.type == .tokenChanged {
            logger.info("\(event.type.rawValue)", metadata: ["id": "\(event.data.token?.id ?? event.data.tokenId ?? "")"])
        }
    }

    /// Marks a module stuck once its watcher's call has run longer than `deadline` (the signing deadline: a token
    /// call that takes longer is hung for signing too). Reads the watchers' timestamps only, so it never waits on a
    /// module itself.
    ///
    /// kysod keeps pinging systemd's watchdog meanwhile, on purpose: WATCHDOG=1 says kysod's own machinery answers
    /// (the API, events, the other modules), which stays true. A restart would clear an OpenSC self-deadlock, but it
    /// would also drop every other token's sessions and cached logins, and a token that hangs again at once (a wedged
    /// USB device) would put kysod in a restart loop until systemd's start limit leaves it down for every token.
    /// The stuck module shows in status and events instead, with `kyso doctor` pointing at re-plugging or a restart.
    static func watchdog(_ watchers: [ModuleWatcher], deadline: Duration, inventory: Inventory, logger: Logger) async {
        guard !watchers.isEmpty else { return }
        let period = min(max(deadline / 4, .milliseconds(250)), .seconds(5))
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            for watcher in watchers {
                guard let call = watcher.overdueCall(deadline: deadline) else { continue }
                if let host = watcher.host {
                    // The host is killed: the call returns at once and the watcher starts another host.
                    let events = inventory.moduleStuck(key: watcher.key, function: call.function, startedAt: call.startedAt, restarting: true)
                    logger.error("module stuck: killing its host", metadata: ["module": "\(watcher.module.name)", "call": "\(call.function)"])
                    host.kill(reason: "\(call.function) did not return within \(deadline)")
                    _ = events
                    continue
                }
                let events = inventory.moduleStuck(key: watcher.key, function: call.function, startedAt: call.startedAt)
                if !events.isEmpty {
                    logger.error("module stuck: a call has not returned; its tokens are withdrawn until it does",
                                 metadata: ["module": "\(watcher.module.name)", "call": "\(call.function)", "since": "\(call.startedAt)"])
                }
            }
        }
    }
}

extension ModuleReport {
    /// Whether this report settles the module's first inventory (a host merely starting does not).
    var isFirstAnswer: Bool {
        switch outcome {
        case .hostStarting, .hostServing: false
        default: true
        }
    }
}
