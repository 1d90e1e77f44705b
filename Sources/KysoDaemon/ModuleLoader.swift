import Foundation
import KysoAPI
import Logging
import PKCS11
import Synchronization

/// Decides which modules kysod uses and how: each in a module host of its own (the default), or loaded into kysod
/// (`modules.isolation: in-process`, `modules.inProcess`, and p11-kit `remote:` modules, which p11-kit already runs
/// in a process of their own). Blocking.
enum ModuleLoader {
    /// The inventory's key for a module: its file, or its p11-kit name when it has no file here (a `remote:` module
    /// runs in another process), so two such modules never share one key and one another's tokens.
    static func key(of module: PKCS11Module) -> String {
        module.path.isEmpty ? "p11-kit:\(module.name)" : module.path
    }

    /// Watchers for every module to use; modules that could not be loaded are reported failed in `inventory`.
    static func watchers(settings: DaemonSettings, inventory: Inventory, reports: AsyncStream<ModuleReport>.Continuation,
                         logger: Logger) -> [ModuleWatcher] {
        var hosted: [(name: String, path: String)] = []
        var inProcessRegistered: Set<String> = []
        var inProcessFiles: [String] = []
        var seen = Set<String>()
        let hostExecutable = ModuleHostExecutable.locate()
        if settings.useRegisteredModules {
            for entry in registered(settings: settings, hostExecutable: hostExecutable, inventory: inventory, logger: logger) {
                if entry.isTrustPolicy || settings.excludedModules.contains(entry.name) || settings.excludedModules.contains(entry.path) { continue }
                seen.insert(entry.path)
                if entry.path.isEmpty || entry.remote != nil || !settings.isolates(name: entry.name, path: entry.path) {
                    inProcessRegistered.insert(entry.name)
                } else {
                    hosted.append((entry.name, entry.path))
                }
            }
        }
        for path in settings.extraModules where !seen.contains(path) {
            seen.insert(path)
            let name = (path as NSString).lastPathComponent
            if settings.isolates(name: name, path: path) { hosted.append((name, path)) } else { inProcessFiles.append(path) }
        }
        var watchers = loadInProcess(registered: inProcessRegistered, files: inProcessFiles, settings: settings, inventory: inventory,
                                     reports: reports, logger: logger)
        guard !hosted.isEmpty else { return watchers }
        guard let hostExecutable else {
            for (name, path) in hosted {
                inventory.moduleFailed(key: path, name: name, path: path, error: "kyso-module-host was not found beside kysod or in /usr/libexec/kyso")
            }
            return watchers
        }
        let folder: String
        do { folder = try ModuleHostExecutable.makeSocketFolder() } catch {
            for (name, path) in hosted { inventory.moduleFailed(key: path, name: name, path: path, error: "\(error)") }
            return watchers
        }
        let environment = ModuleHostExecutable.environment()
        for (index, module) in hosted.enumerated() {
            // A file that is not there fails at once, as an in-process load would, rather than in a host.
            guard access(module.path, R_OK) == 0 else {
                let reason = "cannot load \(module.path): \(String(cString: strerror(errno)))"
                logger.error("module failed", metadata: ["module": "\(module.name)", "error": "\(reason)"])
                inventory.moduleFailed(key: module.path, name: module.name, path: module.path, error: reason)
                continue
            }
            do throws(PKCS11Error) {
                let host = try ModuleHost(modulePath: module.path, name: module.name, executable: hostExecutable,
                                          socketPath: "\(folder)/\(index).sock", environment: environment)
                watchers.append(ModuleWatcher(module: host.client, key: module.path, host: host, hostStartTimeout: min(settings.signDeadline, .seconds(10)),
                                              interval: settings.pollInterval, reports: reports, logger: logger))
            } catch {
                logger.error("module failed", metadata: ["module": "\(module.name)", "error": "\(error)"])
                inventory.moduleFailed(key: module.path, name: module.name, path: module.path, error: "cannot load p11-kit's RPC client: \(error)")
            }
        }
        return watchers
    }

    /// p11-kit's registered modules, listed by a module host process so that no vendor library is loaded into kysod.
    private static func registered(settings: DaemonSettings, hostExecutable: String?, inventory: Inventory, logger: Logger) -> [RegisteredEntry] {
        guard settings.isolateModules, let hostExecutable else {
            // In-process: p11-kit loads them here anyway; read the list the same way without initialising.
            return PKCS11Module.registeredEntries()
        }
        do {
            return try RegisteredModuleList.read(hostExecutable: hostExecutable, environment: ModuleHostExecutable.environment())
        } catch {
            logger.error("cannot list the modules registered with p11-kit", metadata: ["error": "\(error)"])
            inventory.moduleFailed(key: "p11-kit", name: "p11-kit registry", path: "", error: "\(error)")
            return []
        }
    }

    private static func loadInProcess(registered names: Set<String>, files: [String], settings: DaemonSettings, inventory: Inventory,
                                      reports: AsyncStream<ModuleReport>.Continuation, logger: Logger) -> [ModuleWatcher] {
        var modules: [PKCS11Module] = []
        if !names.isEmpty {
            for registered in PKCS11Module.loadRegistered(only: names) {
                switch registered {
                case .loaded(let module): modules.append(module)
                case .failed(let name, let path, let error):
                    logger.error("module failed", metadata: ["module": "\(name)", "error": "\(error)"])
                    inventory.moduleFailed(key: path, name: name, path: path, error: error.description)
                }
            }
        }
        for path in files {
            do throws(PKCS11Error) {
                modules.append(try PKCS11Module.load(path: path))
            } catch {
                logger.error("module failed", metadata: ["module": "\(path)", "error": "\(error)"])
                inventory.moduleFailed(key: path, name: (path as NSString).lastPathComponent, path: path, error: error.description)
            }
        }
        return modules.map { module in
            logger.info("module loaded in-process", metadata: ["module": "\(module.name)", "path": "\(module.path)"])
            let key = key(of: module)
            return ModuleWatcher(module: module, key: key, interval: settings.pollInterval, reports: reports, logger: logger) { mode in
                inventory.setWatchMode(key: key, watch: mode)
            }
        }
    }
}

/// `kyso-module-host --list-registered`, bounded in time: a broken p11-kit configuration or a module whose
/// constructor hangs costs the registered modules, never kysod's start.
enum RegisteredModuleList {
    static func read(hostExecutable: String, environment: [String: String], timeout: Duration = .seconds(10)) throws -> [RegisteredEntry] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: hostExecutable)
        process.arguments = ["--list-registered"]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let reader = DispatchQueue(label: "kyso.registered-modules")
        let data = ProtectedData()
        reader.async { data.set(output.fileHandleForReading.readDataToEndOfFile()) }
        guard finished.wait(timeout: .now() + .nanoseconds(Int(timeout.nanoseconds))) == .success else {
            process.terminate()
            throw HostStartError("listing the registered modules took longer than \(timeout)")
        }
        reader.sync {}
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            throw HostStartError("kyso-module-host --list-registered ended with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode([RegisteredEntry].self, from: data.value)
    }

    private final class ProtectedData: Sendable {
        private let data = Mutex(Data())
        func set(_ value: Data) { data.withLock { $0 = value } }
        var value: Data { data.withLock { $0 } }
    }
}
