import Synchronization

/// Start-up is complete when every step is done: the socket listens and the first inventory is in.
/// Then, and only then, systemd hears READY=1.
///
/// The waits end early when their task is cancelled: a step that never comes (the API failed to start) must not
/// keep the service group, and so kysod, from stopping with the failure.
public final class Readiness: Sendable {
    private struct State {
        var pending: Set<String> = []
        var done: Set<String> = []
        var nextWaiter = 0
        /// Waiters by id, each for one step ("" for all of them).
        var waiters: [Int: (step: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        /// Waiters cancelled before they were stored.
        var cancelled: Set<Int> = []

        func isDone(_ step: String) -> Bool { step.isEmpty ? pending.isEmpty : done.contains(step) }
    }

    private let state = Mutex(State())

    public init() {}

    public final class Step: Sendable {
        private let readiness: Readiness
        private let name: String
        init(_ readiness: Readiness, _ name: String) {
            self.readiness = readiness
            self.name = name
        }
        public func done() { readiness.complete(name) }
    }

    /// Registers a step; call before `waitUntilReady`.
    public func step(_ name: String) -> Step {
        state.withLock { _ = $0.pending.insert(name) }
        return Step(self, name)
    }

    /// Waits until one step is done (the API waits for the first inventory before answering anyone), or the task
    /// is cancelled.
    public func waitUntilDone(_ name: String) async {
        await wait(for: name)
    }

    /// Waits until every step is done, or the task is cancelled.
    public func waitUntilReady() async {
        await wait(for: "")
    }

    private func complete(_ name: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done.insert(name)
            state.pending.remove(name)
            let ready = state.waiters.filter { state.isDone($0.value.step) }
            for id in ready.keys { state.waiters.removeValue(forKey: id) }
            return ready.values.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    private func wait(for step: String) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.isDone(step) || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = (step, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}
