import Foundation
import KysoTestSupport
import ReaderMonitoring
import Logging

/// A ``ReaderMonitor`` running in a task for one test, with every event recorded with its arrival time.
final class MonitorHarness: Sendable {
    let monitor: ReaderMonitor
    private let runTask: Task<Void, any Error>
    private let recordTask: Task<Void, Never>
    private let recorded: Locked<[(at: Date, event: ReaderEvent)]>
    private let streamFinished: Locked<Bool>

    init(backoff: ReconnectBackoff = ReconnectBackoff()) {
        var logger = Logger(label: "kyso.test.reader-monitor")
        logger.logLevel = ProcessInfo.processInfo.environment["KYSO_TEST_LOG"] == nil ? .critical : .debug
        let monitor = ReaderMonitor(logger: logger, backoff: backoff)
        let recorded = Locked<[(at: Date, event: ReaderEvent)]>([])
        let finished = Locked(false)
        self.monitor = monitor
        self.recorded = recorded
        self.streamFinished = finished
        recordTask = Task {
            for await event in monitor.events { recorded.withLock { $0.append((Date(), event)) } }
            finished.withLock { $0 = true }
        }
        runTask = Task { try await monitor.run() }
    }

    /// Every event so far, in order.
    var events: [ReaderEvent] { recorded.withLock { $0.map(\.event) } }

    /// Events from position `mark` on (take a mark with ``count``).
    func events(since mark: Int) -> [ReaderEvent] { recorded.withLock { Array($0.dropFirst(mark).map(\.event)) } }

    var count: Int { recorded.withLock { $0.count } }

    var isStreamFinished: Bool { streamFinished.withLock { $0 } }

    /// Waits for the first event at or after `mark` that matches, and returns it with its arrival time.
    @discardableResult
    func waitFor(_ what: String, since mark: Int = 0, timeout: Duration = .seconds(10),
                 _ matches: @escaping (ReaderEvent) -> Bool) async throws -> (at: Date, event: ReaderEvent) {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let hit = recorded.withLock({ $0.dropFirst(mark).first { matches($0.event) } }) { return hit }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("no \(what) within \(timeout); events: \(events.map(\.description))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until nothing new has arrived for `quiet`, so a test can check that no more events come.
    func settle(quiet: Duration = .milliseconds(600)) async throws {
        var last = count
        var stableSince = ContinuousClock.now
        while ContinuousClock.now - stableSince < quiet {
            try await Task.sleep(for: .milliseconds(20))
            let now = count
            if now != last { last = now; stableSince = .now }
        }
    }

    /// Cancels the monitor (as a service group would on shutdown) and waits for it to end.
    func stop() async throws {
        runTask.cancel()
        try await runTask.value
        await recordTask.value
    }
}
