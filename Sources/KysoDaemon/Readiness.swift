import Synchronization

/// Start-up is complete when every step is done: the socket listens and the first inventory is in.
/// Then, and only then, systemd hears READY=1.
public final class Readiness: Sendable {
    private let state = Mutex<(pending: Set<String>, waiters: [CheckedContinuation<Void, Never>], sealed: Bool)>(([], [], false))
    private let stepWaiters = Mutex<(done: Set<String>, waiters: [String: [CheckedContinuation<Void, Never>]])>(([], [:]))

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

    /// Waits until one step is done (the API waits for the first inventory before answering anyone).
    public func waitUntilDone(_ name: String) async {
        await withCheckedContinuation { continuation in
            let done = stepWaiters.withLock { state -> Bool in
                if state.done.contains(name) { return true }
                state.waiters[name, default: []].append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func complete(_ name: String) {
        let stepDone = stepWaiters.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done.insert(name)
            return state.waiters.removeValue(forKey: name) ?? []
        }
        for waiter in stepDone { waiter.resume() }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending.remove(name)
            guard state.pending.isEmpty else { return [] }
            state.sealed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func waitUntilReady() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.pending.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
