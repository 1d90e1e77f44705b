import Foundation
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
        let loaded = await onDedicatedThread(name: "kyso-modules") {
            ModuleLoader.load(settings: settings, inventory: inventory, logger: logger)
        }
        let started = loaded.map { module in
            ModuleWatcher(module: module, key: module.path, interval: settings.pollInterval, reports: continuation, logger: logger) { mode in
                inventory.setWatchMode(key: module.path, watch: mode.rawValue)
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
            for await report in reports.cancelOnGracefulShutdown() {
                let events = inventory.apply(moduleKey: report.moduleKey, moduleName: report.moduleName, tokens: report.tokens)
                for event in events { logger.info("\(event.type.rawValue)", metadata: ["id": "\(event.data.token?.id ?? event.data.tokenId ?? "")"]) }
                for failure in report.failedSlots {
                    logger.warning("token unreadable", metadata: ["module": "\(report.moduleName)", "slot": "\(failure.slot)", "error": "\(failure.error)"])
                }
                if pending.remove(report.moduleKey) != nil, pending.isEmpty { firstInventory.done() }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }

        // Stop scanning, then finalise each module off the cooperative pool: C_Finalize may wait on a card.
        for watcher in started { watcher.stop() }
        await onDedicatedThread(name: "kyso-finalize") {
            for watcher in started { watcher.module.finalize() }
        }
        logger.info("modules finalised")
    }
}

/// Decides which modules to load and loads them. Blocking.
enum ModuleLoader {
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
