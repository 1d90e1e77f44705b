public import Logging
import Foundation
import PCSC
public import ServiceLifecycle
import Synchronization

/// Watches every PC/SC reader and card and reports what changes as ``ReaderEvent``s.
///
/// One dedicated thread owns its own `SCARDCONTEXT` and blocks in `SCardGetStatusChange` with an
/// infinite timeout over all readers plus `\\?PnP?\Notification`, so it costs nothing while nothing
/// happens. It never connects to a card: presence, ATR and in-use/exclusive/mute come from the status
/// change itself, so other programs keep full use of the cards.
///
/// When pcscd is absent, stops, restarts or exits on its own, the monitor reports
/// ``ReaderEvent/serviceLost(_:)``, reconnects with a bounded backoff (``ReconnectBackoff``), re-lists
/// the readers and reports only what differs from before. Graceful shutdown (or cancelling ``run()``)
/// ends the wait with `SCardCancel`.
///
/// ``events`` has one consumer; read it while ``run()`` runs (for example in a `ServiceGroup`).
public final class ReaderMonitor: Service, Sendable {
    /// The events, in order. Finishes when ``run()`` returns.
    public let events: AsyncStream<ReaderEvent>
    private let continuation: AsyncStream<ReaderEvent>.Continuation
    private let control = MonitorControl()
    private let view = Mutex(View())
    private let started = Atomic(false)
    private let logger: Logger
    private let backoffPolicy: ReconnectBackoff

    private struct View {
        var readers: [ReaderObservation] = []
        var connected = false
    }

    /// - Parameters:
    ///   - logger: where connection problems and events are logged.
    ///   - backoff: reconnect timing when pcscd is unreachable.
    public init(logger: Logger = Logger(label: "kyso.reader-monitor"), backoff: ReconnectBackoff = ReconnectBackoff()) {
        (events, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .unbounded)
        self.logger = logger
        self.backoffPolicy = backoff
    }

    /// The readers as the monitor last saw them (empty before the first look).
    public var readers: [ReaderObservation] { view.withLock { $0.readers } }

    /// Whether the monitor currently holds a working connection to pcscd.
    public var isConnected: Bool { view.withLock { $0.connected } }

    /// Runs the monitor thread until graceful shutdown or cancellation. Can run once.
    public func run() async throws {
        guard !started.exchange(true, ordering: .relaxed) else {
            logger.error("ReaderMonitor.run() called twice; the second call returns at once")
            return
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        Self.nameCurrentThread("kyso-readers")
                        watchUntilStopped()
                        control.markExited()
                        continuation.finish()
                        done.resume()
                    }
                    thread.name = "kyso-readers"
                    thread.start()
                }
            } onCancel: {
                self.control.requestStop()
            }
        } onGracefulShutdown: {
            self.control.requestStop()
        }
    }

    // MARK: - The monitor thread

    /// Names the calling thread for `top -H` and /proc/PID/task/*/comm (Foundation's `Thread.name`
    /// does not reach the kernel on Linux; pthread_setname_np needs _GNU_SOURCE, so the /proc file it is).
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        try? Data(name.utf8.prefix(15)).write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))
        #endif
    }

    /// Connect, watch, and on failure report once, back off and connect again, until stopped.
    private func watchUntilStopped() {
        var tracker = ReaderTracker()
        var backoff = backoffPolicy
        var lost: PCSCError?
        var reportedLoss = false

        while !control.isStopping {
            let context: PCSCContext
            do {
                context = try PCSCContext()
            } catch {
                lost = error
                reportLoss(error, alreadyReported: &reportedLoss)
                if !control.sleep(backoff.nextDelay(refused: error.code == .securityViolation)) { break }
                continue
            }
            guard control.publish(context) else {
                try? context.release()
                break
            }
            if reportedLoss {
                logger.info("pcscd is reachable again")
                emit([.serviceRestored])
                reportedLoss = false
            }
            view.withLock { $0.connected = true }
            do {
                try watch(context, tracker: &tracker, backoff: &backoff)
            } catch {
                lost = error
                if !control.isStopping { reportLoss(error, alreadyReported: &reportedLoss) }
            }
            view.withLock { $0.connected = false }
            control.unpublish()
            try? context.release()
            if control.isStopping { break }
            if !control.sleep(backoff.nextDelay(refused: lost?.code == .securityViolation)) { break }
        }
    }

    /// Waits for changes on one context until it fails (throws) or a stop is requested (returns).
    private func watch(_ context: PCSCContext, tracker: inout ReaderTracker, backoff: inout ReconnectBackoff) throws(PCSCError) {
        var states: [ReaderState] = [.plugAndPlay()]
        var needsListing = true
        var sameService = false  // event counters of the previous pcscd run mean nothing here
        var quietWakeups = 0

        while !control.isStopping {
            if needsListing {
                let names = try context.readers()
                let known = Dictionary(states.dropFirst().map { ($0.reader, $0) }, uniquingKeysWith: { first, _ in first })
                states = [states[0]] + names.map { known[$0] ?? ReaderState(reader: $0) }
                needsListing = false
            }
            let outcome: PCSCContext.StatusChangeOutcome
            do {
                outcome = try context.statusChange(&states, timeout: .infinite)
            } catch where error.code == .unknownReader || error.code == .readerUnavailable {
                needsListing = true  // a reader went away between the listing and the wait
                continue
            }
            guard outcome == .changed else { continue }  // cancelled: the loop condition decides
            backoff.reset()

            let readersChanged = states[0].eventState.contains(.changed)
                || states.dropFirst().contains { $0.eventState.contains(.unknown) }
            let observed = states.dropFirst()
                .filter { !$0.eventState.contains(.unknown) && !$0.eventState.contains(.ignore) }
                .map(ReaderObservation.init)
            let events = tracker.update(to: observed, sameService: sameService)
            sameService = true
            view.withLock { $0.readers = tracker.readers }
            emit(events)
            for index in states.indices { states[index].acknowledge() }
            needsListing = readersChanged

            // Defence against spinning: a wait that keeps returning with nothing to report.
            quietWakeups = events.isEmpty && !readersChanged ? quietWakeups + 1 : 0
            if quietWakeups >= 10 {
                logger.warning("SCardGetStatusChange keeps returning without changes; pausing 100 ms")
                quietWakeups = 0
                if !control.sleep(.milliseconds(100)) { return }
            }
        }
    }

    private func reportLoss(_ error: PCSCError, alreadyReported: inout Bool) {
        guard !alreadyReported else { return }
        alreadyReported = true
        view.withLock { $0.connected = false }
        if error.code == .securityViolation {
            logger.error("pcscd refused access (polkit)", metadata: ["error": "\(error)"])
        } else {
            logger.warning("pcscd unreachable; reconnecting", metadata: ["error": "\(error)"])
        }
        emit([.serviceLost(error)])
    }

    private func emit(_ events: [ReaderEvent]) {
        for event in events {
            logger.debug("reader event", metadata: ["event": "\(event)"])
            continuation.yield(event)
        }
    }
}
