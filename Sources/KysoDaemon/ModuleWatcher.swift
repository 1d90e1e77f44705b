import Foundation
import KysoAPI
import TokenScan
import Logging
import PKCS11
import Synchronization

/// What a module's watcher found: the tokens of a successful slot scan, or one more failed slot listing.
struct ModuleReport: Sendable {
    enum Outcome: Sendable {
        case scanned(tokens: [ScannedToken], failedSlots: [(slot: SlotID, error: PKCS11Error)])
        /// `C_GetSlotList` failed `consecutive` times in a row (the module is failed from `ModuleWatcher.failuresBeforeFailed`).
        case failing(error: PKCS11Error, consecutive: Int, since: Date)
        /// An isolated module's host is being started (`restarts` > 0: again).
        case hostStarting(ModuleHostStatus)
        /// The host serves the module now (its first scan follows).
        case hostServing(ModuleHostStatus)
        /// The host could not be started, or its module not initialised; another try follows after a backoff.
        case hostStartFailed(error: String, host: ModuleHostStatus)
        /// The host process ended while serving (crashed, or killed by kysod for a stuck call).
        case hostExited(error: String, host: ModuleHostStatus)
    }
    let moduleKey: String
    let moduleName: String
    let outcome: Outcome
}

/// A PKCS#11 call the watcher's thread is inside, for the stuck-module watchdog.
struct CallInFlight: Sendable {
    let function: String
    let since: ContinuousClock.Instant
    let startedAt: Date
}

/// Watches one PKCS#11 module's slots on a thread of its own.
///
/// Modules that implement `C_WaitForSlotEvent` get a second thread blocked in it, which wakes the scanner;
/// the others are polled with `C_GetSlotList` only, which opens no session and touches no card. A token's
/// objects are read once, when it appears (or when the reader monitor says a card changed); then the
/// inventory answers from memory.
///
/// Health: every call the scanner makes is stamped (`callInFlight`), so a watchdog elsewhere can see a call that
/// never returns without waiting on it; a slot listing that fails is reported each time, and retried sooner than
/// the poll interval until the module counts as failed.
final class ModuleWatcher: Sendable {
    /// `.events` or `.polling` (never `.none`: a watcher watches).
    typealias Mode = ModuleWatch

    /// Consecutive `C_GetSlotList` failures after which the module is failed and its tokens withdrawn: one failure
    /// may be a hiccup (a USB reset), three in a row a module that is gone (its p11-kit-remote died, its daemon quit).
    static let failuresBeforeFailed = 3
    /// How soon a failed slot listing is retried while the module is not yet failed.
    static let retryWhileFailing: Duration = .milliseconds(300)

    let module: PKCS11Module
    let key: String
    /// The process an isolated module runs in; nil for a module loaded into kysod.
    let host: ModuleHost?
    let hostStartTimeout: Duration
    private let currentMode: Mutex<Mode>
    /// Told when a module that claimed slot events turns out not to deliver them.
    private let onModeChange: @Sendable (Mode) -> Void
    var mode: Mode { currentMode.withLock { $0 } }
    private let interval: Duration
    let reports: AsyncStream<ModuleReport>.Continuation
    let logger: Logger
    let wake = DispatchSemaphore(value: 0)
    private let control = Mutex(Control())

    private struct Control {
        var stopped = false
        var fullRescan = true
        var call: CallInFlight?
        /// The watchdog declared the current call stuck (and the inventory withdrew the module's tokens).
        var declaredStuck = false
    }

    /// Blocking (a non-blocking `C_WaitForSlotEvent` probe): create on a dedicated thread.
    init(module: PKCS11Module, key: String, host: ModuleHost? = nil, hostStartTimeout: Duration = .seconds(10), interval: Duration,
         reports: AsyncStream<ModuleReport>.Continuation, logger: Logger, onModeChange: @escaping @Sendable (Mode) -> Void = { _ in }) {
        self.module = module
        self.key = key
        self.host = host
        self.hostStartTimeout = hostStartTimeout
        self.interval = interval
        self.reports = reports
        self.logger = logger
        // A non-blocking call tells whether the module implements slot events at all. A hosted module is called from
        // one thread only, so it is polled (and rescanned at once on every PC/SC reader event).
        var mode = Mode.polling
        if host == nil {
            do throws(PKCS11Error) {
                _ = try module.waitForSlotEvent(blocking: false)
                mode = .events
            } catch {
                mode = .polling
            }
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

    /// The call the scanner is inside right now (never the event thread's `C_WaitForSlotEvent`, which blocks by design).
    var callInFlight: CallInFlight? { control.withLock { $0.call } }

    /// The scanner's call when it has been running longer than `deadline`; marks it stuck, so that when it does
    /// return the scanner reports in full again (the inventory withdrew the module's tokens meanwhile). Never blocks.
    func overdueCall(deadline: Duration, now: ContinuousClock.Instant = .now) -> CallInFlight? {
        control.withLock { control in
            guard let call = control.call, now - call.since >= deadline else { return nil }
            control.declaredStuck = true
            return call
        }
    }

    /// Waits (blocking, up to `timeout`) for the scanner to leave the call it is in; the call still in flight, if any.
    func waitForCallToEnd(timeout: Duration) -> CallInFlight? {
        let deadline = ContinuousClock.now + timeout
        while let call = callInFlight {
            guard ContinuousClock.now < deadline else { return call }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    var isStopped: Bool { control.withLock { $0.stopped } }

    /// Runs one blocking step with its name and start time stamped for the watchdog. Refused once stopped (checked
    /// under the same lock that stamps the call), so no call starts after shutdown looked for calls in flight.
    func watched<T>(_ function: String, _ body: () throws(PKCS11Error) -> T) throws(PKCS11Error) -> T {
        let stopped = control.withLock { control in
            if !control.stopped { control.call = CallInFlight(function: function, since: .now, startedAt: Date()) }
            return control.stopped
        }
        if stopped { throw PKCS11Error(.returnValue(.cryptokiNotInitialized), function: function, detail: "kysod is stopping") }
        defer {
            let wasStuck = control.withLock { control in
                defer { control.call = nil; control.declaredStuck = false }
                if control.declaredStuck { control.fullRescan = true }
                return control.declaredStuck
            }
            if wasStuck {
                logger.notice("module answers again", metadata: ["module": "\(module.name)", "call": "\(function)"])
                wake.signal()  // the full rescan that brings its tokens back runs now, not a poll interval later
            }
        }
        return try body()
    }

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
        var failures = 0
        var failingSince = Date()
        var backoff = HostRestartBackoff()
        var reinitialization = Reinitialization()
        while !isStopped {
            if let host, !host.isServing {
                guard startHost(host, backoff: &backoff) else { continue }
                cache = [:]
                lastSlots = nil
                failures = 0
                control.withLock { $0.fullRescan = true }
            }
            var wait = interval
            let full = control.withLock { control in
                defer { control.fullRescan = false }
                return control.fullRescan
            }
            do throws(PKCS11Error) {
                let slots = try watched("C_GetSlotList") { () throws(PKCS11Error) in try module.slots(tokenPresent: true) }
                if failures > 0 {
                    logger.notice("slot list readable again", metadata: ["module": "\(module.name)", "after": "\(failures) failures"])
                    failures = 0
                }
                // Re-initialised but empty: initialise again (on the backoff) until the module shows its slots.
                if host == nil, slots.isEmpty, reinitialization.awaitingSlots, reinitialization.isDue() {
                    reinitialization.finished(slotsSeen: reinitialize())
                    control.withLock { $0.fullRescan = true }
                    continue
                }
                if full || slots != lastSlots {
                    var failed: [(slot: SlotID, error: PKCS11Error)] = []
                    var next: [SlotID: ScannedToken] = [:]
                    for slot in slots {
                        do throws(PKCS11Error) {
                            // A full rescan re-reads token info (cheap) and the objects only when the token differs.
                            if !full, let known = cache[slot] { next[slot] = known; continue }
                            // C_GetSlotInfo makes OpenSC look at the reader again; a pulled card's slot says so here.
                            let slotInfo = try watched("C_GetSlotInfo") { () throws(PKCS11Error) in try module.slotInfo(slot) }
                            guard slotInfo.flags.contains(.tokenPresent) else { continue }
                            let info = try watched("C_GetTokenInfo") { () throws(PKCS11Error) in try module.tokenInfo(slot) }
                            if let known = cache[slot], known.info.serialNumber == info.serialNumber, known.info.label == info.label,
                               known.info.flags == info.flags {
                                next[slot] = known
                            } else {
                                next[slot] = try watched("reading the token in slot \(slot)") { () throws(PKCS11Error) in
                                    try TokenScanner.scan(module: module, slot: slot)
                                }
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
                        moduleKey: key, moduleName: module.name,
                        outcome: .scanned(tokens: slots.compactMap { cache[$0] }, failedSlots: failed)))
                }
            } catch {
                if isStopped { return }
                if let host, !host.isServing { continue }  // the host died under the call: start the next one
                failures += 1
                if failures == 1 { failingSince = Date() }
                if failures == 1 || failures == Self.failuresBeforeFailed {
                    logger.warning("cannot list slots", metadata: ["module": "\(module.name)", "error": "\(error)", "failures": "\(failures)"])
                }
                // Every failure is reported (the first also unblocks start-up readiness). Once it answers again, a full
                // rescan re-reports its tokens, which the inventory withdrew if the module counted as failed.
                reports.yield(ModuleReport(moduleKey: key, moduleName: module.name,
                                           outcome: .failing(error: error, consecutive: failures, since: failingSince)))
                lastSlots = nil
                control.withLock { $0.fullRescan = true }
                if failures < Self.failuresBeforeFailed {
                    wait = min(interval, Self.retryWhileFailing)
                } else if host == nil, reinitialization.isDue() {
                    reinitialization.finished(slotsSeen: reinitialize())
                    wait = .zero
                }
            }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait.nanoseconds)))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
