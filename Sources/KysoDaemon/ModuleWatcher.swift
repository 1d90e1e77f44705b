import Foundation
import KysoInventory
import Logging
import PKCS11
import Synchronization

/// What a module's watcher found.
struct ModuleReport: Sendable {
    let moduleKey: String
    let moduleName: String
    let tokens: [ScannedToken]
    let failedSlots: [(slot: SlotID, error: PKCS11Error)]
}

/// Watches one PKCS#11 module's slots on a thread of its own.
///
/// Modules that implement `C_WaitForSlotEvent` get a second thread blocked in it, which wakes the scanner;
/// the others are polled with `C_GetSlotList` only, which opens no session and touches no card. A token's
/// objects are read once, when it appears (or when the reader monitor says a card changed); then the
/// inventory answers from memory.
final class ModuleWatcher: Sendable {
    enum Mode: String, Sendable { case events, polling }

    let module: PKCS11Module
    let key: String
    private let currentMode: Mutex<Mode>
    /// Told when a module that claimed slot events turns out not to deliver them.
    private let onModeChange: @Sendable (Mode) -> Void
    var mode: Mode { currentMode.withLock { $0 } }
    private let interval: Duration
    private let reports: AsyncStream<ModuleReport>.Continuation
    private let logger: Logger
    private let wake = DispatchSemaphore(value: 0)
    private let control = Mutex(Control())

    private struct Control {
        var stopped = false
        var fullRescan = true
    }

    init(module: PKCS11Module, key: String, interval: Duration, reports: AsyncStream<ModuleReport>.Continuation, logger: Logger,
         onModeChange: @escaping @Sendable (Mode) -> Void = { _ in }) {
        self.module = module
        self.key = key
        self.interval = interval
        self.reports = reports
        self.logger = logger
        // A non-blocking call tells whether the module implements slot events at all.
        var mode = Mode.polling
        do throws(PKCS11Error) {
            _ = try module.waitForSlotEvent(blocking: false)
            mode = .events
        } catch {
            mode = .polling
        }
        currentMode = Mutex(mode)
        self.onModeChange = onModeChange
    }

    func start() {
        let scanner = Thread { [self] in scanLoop() }
        scanner.name = "kyso-slots-\(module.name)"
        scanner.start()
        if mode == .events {
            let waiter = Thread { [self] in eventLoop() }
            waiter.name = "kyso-slot-events-\(module.name)"
            waiter.start()
        }
    }

    /// Asks for a full rescan now (a reader or card changed).
    func rescan() {
        control.withLock { $0.fullRescan = true }
        wake.signal()
    }

    /// Stops both threads; `C_Finalize` (by the owner, afterwards) releases a thread blocked in `C_WaitForSlotEvent`.
    func stop() {
        control.withLock { $0.stopped = true }
        wake.signal()
    }

    private var isStopped: Bool { control.withLock { $0.stopped } }

    private func eventLoop() {
        while !isStopped {
            do throws(PKCS11Error) {
                _ = try module.waitForSlotEvent(blocking: true)
                rescan()
            } catch {
                if isStopped { return }
                // A module that cannot wait after all (p11-kit's proxy answers the non-blocking probe but not the
                // blocking call) falls back to the scanner's polling; never spin.
                logger.info("no slot events; polling", metadata: ["module": "\(module.name)", "error": "\(error)"])
                currentMode.withLock { $0 = .polling }
                onModeChange(.polling)
                return
            }
        }
    }

    private func scanLoop() {
        var cache: [SlotID: ScannedToken] = [:]
        var lastSlots: [SlotID]?
        while !isStopped {
            let full = control.withLock { control in
                defer { control.fullRescan = false }
                return control.fullRescan
            }
            do throws(PKCS11Error) {
                let slots = try module.slots(tokenPresent: true)
                if full || slots != lastSlots {
                    var failed: [(slot: SlotID, error: PKCS11Error)] = []
                    var next: [SlotID: ScannedToken] = [:]
                    for slot in slots {
                        do throws(PKCS11Error) {
                            // A full rescan re-reads token info (cheap) and the objects only when the token differs.
                            if !full, let known = cache[slot] { next[slot] = known; continue }
                            // C_GetSlotInfo makes OpenSC look at the reader again; a pulled card's slot says so here.
                            guard try module.slotInfo(slot).flags.contains(.tokenPresent) else { continue }
                            let info = try module.tokenInfo(slot)
                            if let known = cache[slot], known.info.serialNumber == info.serialNumber, known.info.label == info.label,
                               known.info.flags == info.flags {
                                next[slot] = known
                            } else {
                                next[slot] = try TokenScanner.scan(module: module, slot: slot)
                            }
                        } catch where error.returnValue == .tokenNotPresent || error.returnValue == .deviceRemoved
                            || error.returnValue == .slotIDInvalid {
                            continue
                        } catch {
                            failed.append((slot, error))
                        }
                    }
                    cache = next
                    lastSlots = slots
                    reports.yield(ModuleReport(
                        moduleKey: key, moduleName: module.name, tokens: slots.compactMap { cache[$0] }, failedSlots: failed))
                }
            } catch {
                logger.warning("cannot list slots", metadata: ["module": "\(module.name)", "error": "\(error)"])
                if lastSlots == nil {
                    // Still report once, so start-up readiness does not wait on a broken module.
                    lastSlots = []
                    reports.yield(ModuleReport(moduleKey: key, moduleName: module.name, tokens: [], failedSlots: []))
                }
            }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(interval.nanoseconds)))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
