import Foundation
import PCSC

/// What the reader monitor's thread shares with the rest of the process: the stop request, the
/// context it is blocked on (so `SCardCancel` can reach it), an interruptible sleep, and whether
/// the thread has ended. All state is guarded by one `NSCondition`.
final class MonitorControl: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var exited = false
    private var context: PCSCContext?

    var isStopping: Bool { condition.withLock { stopping } }
    var hasExited: Bool { condition.withLock { exited } }

    /// Makes `context` the one ``requestStop()`` cancels; false (and nothing stored) when stopping.
    func publish(_ context: PCSCContext) -> Bool {
        condition.withLock {
            guard !stopping else { return false }
            self.context = context
            return true
        }
    }

    func unpublish() { condition.withLock { context = nil } }

    /// Sleeps up to `duration`; returns false at once when a stop is requested.
    func sleep(_ duration: Duration) -> Bool {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        return condition.withLock {
            while !stopping {
                if !condition.wait(until: deadline) { break }
            }
            return !stopping
        }
    }

    /// Asks the thread to end: wakes its sleep and cancels its wait. `SCardCancel` is a no-op when it
    /// lands just before the wait starts, so a short-lived helper repeats it until the thread has ended.
    func requestStop() {
        let alreadyStopping = condition.withLock {
            defer { stopping = true; condition.broadcast() }
            return stopping
        }
        guard !alreadyStopping else { return }
        Thread.detachNewThread { [self] in
            for _ in 0..<200 {
                let current = condition.withLock { exited ? nil : context }
                if hasExited { return }
                try? current?.cancel()
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    func markExited() {
        condition.withLock {
            exited = true
            context = nil
            condition.broadcast()
        }
    }
}
