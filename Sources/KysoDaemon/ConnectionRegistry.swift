import NIOCore
import Synchronization

/// Open API connections: bounds their number and closes the idle ones at shutdown.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        var busy: Bool
    }
    private struct State {
        var entries: [UInt64: Entry] = [:]
        var next: UInt64 = 0
        var shuttingDown = false
    }
    private let state = Mutex(State())

    var count: Int { state.withLock { $0.entries.count } }
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Registers a connection, or returns nil when `limit` are already open or the daemon is stopping.
    func open(_ channel: any Channel, limit: Int) -> UInt64? {
        state.withLock { state in
            guard !state.shuttingDown, state.entries.count < limit else { return nil }
            state.next += 1
            state.entries[state.next] = Entry(channel: channel, busy: false)
            return state.next
        }
    }

    func setBusy(_ token: UInt64, _ busy: Bool) {
        let close = state.withLock { state -> (any Channel)? in
            state.entries[token]?.busy = busy
            return !busy && state.shuttingDown ? state.entries[token]?.channel : nil
        }
        close?.close(promise: nil)
    }

    func close(_ token: UInt64) { state.withLock { _ = $0.entries.removeValue(forKey: token) } }

    /// Closes every connection not in the middle of a request; busy ones close after their answer.
    func shutDown() {
        let idle = state.withLock { state -> [any Channel] in
            state.shuttingDown = true
            return state.entries.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }
}
