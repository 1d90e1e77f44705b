import NIOCore
import Synchronization

/// How many API connections a caller may hold. One uid alone may hold at most `perUid`; callers who may not sign
/// leave `signReserve` slots free, signers leave `adminReserve`, and admins may take the last one: a reader
/// holding slow connections must not lock root out of `/v1/status`, nor a signer out of signing.
struct ConnectionQuota: Sendable {
    let total: Int
    let perUid: Int

    /// Slots only admins may take.
    var adminReserve: Int { max(1, total / 16) }
    /// Slots only signers and admins may take (the admins' among them).
    var signReserve: Int { max(2, total / 8) }

    /// Open connections (of everyone) beyond which a caller of `standing` is refused.
    func ceiling(for standing: ConnectionRegistry.Standing) -> Int {
        switch standing {
        case .admin: total
        case .signer: total - adminReserve
        case .other: total - signReserve
        }
    }
}

/// Open API connections: bounds their number, per caller and in all, and closes the idle ones at shutdown.
final class ConnectionRegistry: Sendable {
    /// What a connection's caller may do, as far as connection slots go.
    enum Standing: Sendable {
        case admin, signer, other

        init(_ capabilities: Set<Capability>) {
            self = capabilities.contains(.admin) ? .admin : capabilities.contains(.sign) ? .signer : .other
        }
    }

    private struct Entry {
        let channel: any Channel
        let uid: UInt32
        var busy: Bool
    }
    private struct State {
        var entries: [UInt64: Entry] = [:]
        var perUid: [UInt32: Int] = [:]
        var next: UInt64 = 0
        var shuttingDown = false
    }
    private let state = Mutex(State())

    var count: Int { state.withLock { $0.entries.count } }
    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Registers a connection of `uid`, or returns nil when the quota leaves it no slot or the daemon is stopping.
    func open(_ channel: any Channel, uid: UInt32, standing: Standing, quota: ConnectionQuota) -> UInt64? {
        state.withLock { state in
            guard !state.shuttingDown, state.entries.count < quota.ceiling(for: standing) else { return nil }
            // An admin (root by default) is trusted with as many as the total allows.
            guard standing == .admin || state.perUid[uid, default: 0] < quota.perUid else { return nil }
            state.next += 1
            state.entries[state.next] = Entry(channel: channel, uid: uid, busy: false)
            state.perUid[uid, default: 0] += 1
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

    func close(_ token: UInt64) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: token) else { return }
            let left = state.perUid[entry.uid, default: 1] - 1
            state.perUid[entry.uid] = left > 0 ? left : nil
        }
    }

    /// Closes every connection not in the middle of a request; busy ones close after their answer.
    func shutDown() {
        let idle = state.withLock { state -> [any Channel] in
            state.shuttingDown = true
            return state.entries.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }
}
