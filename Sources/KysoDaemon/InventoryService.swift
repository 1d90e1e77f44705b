import Foundation
import KysoAPI
import KysoInventory
public import Logging
public import PKCS11
public import ServiceLifecycle
import Synchronization

/// Loads the PKCS#11 modules, watches their slots and keeps the inventory current.
///
/// Module loading and every PKCS#11 call happen on threads of this service's own (see `ModuleWatcher`);
/// `run()` only consumes their reports. A module that fails to load is reported in status, never fatal.
public final class InventoryService: Service, Sendable {
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
        // Loading and the watchers' slot-event probe call into the modules: off the cooperative pool.
        let started = await onDedicatedThread(name: "kyso-modules") {
            ModuleLoader.load(settings: settings, inventory: inventory, logger: logger).map { module in
                let key = ModuleLoader.key(of: module)
                return ModuleWatcher(module: module, key: key, interval: settings.pollInterval, reports: continuation, logger: logger) { mode in
                    inventory.setWatchMode(key: key, watch: mode.rawValue)
                }
            }
        }
        watchers.withLock { $0 = started }
        for watcher in started {
            inventory.moduleLoaded(key: watcher.key, name: watcher.module.name, path: watcher.module.path, watch: watcher.mode.rawValue)
            watcher.start()
        }
        var pending = Set(started.map(\.key))
        if pending.isEmpty { firstInventory.done() }

        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await Self.watchdog(started, deadline: settings.signDeadline, inventory: inventory, logger: logger) }
                for await report in reports.cancelOnGracefulShutdown() {
                    handle(report)
                    if pending.remove(report.moduleKey) != nil, pending.isEmpty { firstInventory.done() }
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

    private func handle(_ report: ModuleReport) {
        switch report.outcome {
        case .scanned(let tokens, let failedSlots):
            let events = inventory.apply(moduleKey: report.moduleKey, moduleName: report.moduleName, tokens: tokens)
            log(events)
            for failure in failedSlots {
                logger.warning("token unreadable", metadata: ["module": "\(report.moduleName)", "slot": "\(failure.slot)", "error": "\(failure.error)"])
            }
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
                let events = inventory.moduleStuck(key: watcher.key, function: call.function, startedAt: call.startedAt)
                if !events.isEmpty {
                    logger.error("module stuck: a call has not returned; its tokens are withdrawn until it does",
                                 metadata: ["module": "\(watcher.module.name)", "call": "\(call.function)", "since": "\(call.startedAt)"])
                }
            }
        }
    }
}

/// Finalises modules at shutdown without letting one that hangs hold kysod up.
enum ModuleFinalizer {
    /// How long a watcher's call may take to end after its watcher stopped, before its module is left unfinalised.
    static let callGrace: Duration = .milliseconds(500)
    /// How long all `C_Finalize` calls together may take; systemd's TimeoutStopSec (30 s) also covers the signing
    /// deadline (20 s) spent draining requests before this.
    static let finalizeTimeout: Duration = .seconds(5)

    /// Blocking. Skips `C_Finalize` for a module whose watcher is still inside a call (PKCS#11 forbids finalising
    /// under a running call, and a module stuck in one would block `C_Finalize` forever: OpenSC waits on its own
    /// lock), and stops waiting for the others after `finalizeTimeout`.
    static func finalize(_ watchers: [ModuleWatcher], logger: Logger) {
        let unfinished = Mutex(Set<String>())
        let done = DispatchGroup()
        for watcher in watchers {
            let name = watcher.module.name
            if let call = watcher.waitForCallToEnd(timeout: callGrace) {
                logger.warning("not finalising the module: a call into it has not returned",
                               metadata: ["module": "\(name)", "call": "\(call.function)", "since": "\(call.startedAt)"])
                continue
            }
            unfinished.withLock { _ = $0.insert(name) }
            done.enter()
            let thread = Thread {
                watcher.module.finalize()
                unfinished.withLock { _ = $0.remove(name) }
                done.leave()
            }
            thread.name = "kyso-finalize-\(name)"
            thread.start()
        }
        if done.wait(timeout: .now() + .nanoseconds(Int(finalizeTimeout.nanoseconds))) == .timedOut {
            logger.warning("C_Finalize did not return in time; exiting without it",
                           metadata: ["modules": "\(unfinished.withLock { $0.sorted() })", "waited": "\(finalizeTimeout)"])
        }
    }
}

/// Decides which modules to load and loads them. Blocking.
enum ModuleLoader {
    /// The inventory's key for a module: its file, or its p11-kit name when it has no file here (a `remote:` module
    /// runs in another process), so two such modules never share one key and one another's tokens.
    static func key(of module: PKCS11Module) -> String {
        module.path.isEmpty ? "p11-kit:\(module.name)" : module.path
    }

    static func load(settings: DaemonSettings, inventory: Inventory, logger: Logger) -> [PKCS11Module] {
        var modules: [PKCS11Module] = []
        var paths = Set<String>()
        if settings.useRegisteredModules {
            for registered in PKCS11Module.loadRegistered() {
                switch registered {
                case .loaded(let module):
                    if module.isTrustPolicy || settings.excludedModules.contains(module.name) || settings.excludedModules.contains(module.path) {
                        module.finalize()
                        continue
                    }
                    paths.insert(module.path)
                    modules.append(module)
                case .failed(let name, let path, let error):
                    guard !settings.excludedModules.contains(name), !settings.excludedModules.contains(path) else { continue }
                    logger.error("module failed", metadata: ["module": "\(name)", "error": "\(error)"])
                    inventory.moduleFailed(key: path, name: name, path: path, error: error.description)
                }
            }
        }
        for path in settings.extraModules where !paths.contains(path) {
            do throws(PKCS11Error) {
                let module = try PKCS11Module.load(path: path)
                paths.insert(module.path)
                modules.append(module)
            } catch {
                logger.error("module failed", metadata: ["module": "\(path)", "error": "\(error)"])
                inventory.moduleFailed(key: path, name: (path as NSString).lastPathComponent, path: path, error: error.description)
            }
        }
        for module in modules { logger.info("module loaded", metadata: ["module": "\(module.name)", "path": "\(module.path)"]) }
        return modules
    }
}
