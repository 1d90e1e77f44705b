import Synchronization

/// Start-up is complete when every step is done: the socket listens and the first inventory is in.
/// Then, and only then, systemd hears READY=1.
public final class Readiness: Sendable {
    private let state = Mutex<(pending: Set<String>, waiters: [CheckedContinuation<Void, Never>], sealed: Bool)>(([], [], false))

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

    private func complete(_ name: String) {
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
