public import Foundation
public import KysoAPI
import Synchronization

/// A module's health as kysod tracks it: loaded, starting in its host, failed or stuck, and the tokens it loses
/// on the way (withdrawn with `token.removed` each, so clients never see a token that cannot answer).
extension Inventory {
    public func moduleLoaded(key: String, name: String, path: String, watch: ModuleWatch) {
        state.withLock { state in
            if state.modules[key] == nil { state.moduleOrder.append(key) }
            state.modules[key] = ModuleStatus(name: name, path: path, state: .loaded, error: nil, watch: watch, tokenCount: 0,
                                              isolation: .inProcess)
        }
    }

    /// An isolated module whose host is starting: `starting` on the first start, until its first scan answers; a
    /// restart after a crash or a kill keeps the failed or stuck state and its error until then.
    func moduleStarting(key: String, name: String, path: String, host: ModuleHostStatus) {
        state.withLock { state in
            if state.modules[key] == nil {
                state.moduleOrder.append(key)
                state.modules[key] = ModuleStatus(name: name, path: path, state: .starting, error: nil, watch: .polling, tokenCount: 0,
                                                  isolation: .host, host: host)
                return
            }
            // A restart after a crash or a kill keeps showing failed or stuck until the module answers again.
            state.modules[key]?.host = host
        }
    }

    func setHostStatus(key: String, host: ModuleHostStatus) {
        state.withLock { $0.modules[key]?.host = host }
    }

    /// An isolated module's host process ended while serving: its tokens are withdrawn (`token.removed` each), then
    /// `module.failed`, unless kysod killed it for a stuck call (already `stuck`, announced with `module.stuck`).
    @discardableResult
    func moduleHostExited(key: String, error: String, host: ModuleHostStatus, now: Date = Date()) -> [DaemonEvent] {
        state.withLock { state in
            guard let module = state.modules[key] else { return [] }
            state.modules[key]?.host = host
            guard module.state != .stuck else { return [] }
            var events = Self.withdrawTokens(ofModule: key, in: &state)
            state.modules[key]?.state = .failed
            state.modules[key]?.error = error
            state.modules[key]?.since = now
            state.modules[key]?.pendingCall = nil
            events.append(state.events.publish(.moduleFailed, EventData(module: module.name, error: error)))
            return events
        }
    }

    public func setWatchMode(key: String, watch: ModuleWatch) {
        state.withLock { $0.modules[key]?.watch = watch }
    }

    /// A module that could not be loaded or initialised at start-up (nothing watches it).
    public func moduleFailed(key: String, name: String, path: String, error: String) {
        state.withLock { state in
            if state.modules[key] == nil { state.moduleOrder.append(key) }
            state.modules[key] = ModuleStatus(name: name, path: path, state: .failed, error: error, watch: .none, tokenCount: 0, since: Date())
            _ = state.events.publish(.moduleFailed, EventData(module: name, error: error))
        }
    }

    /// A loaded module whose slot listing keeps failing: `failed` with its error, its tokens withdrawn
    /// (`token.removed` each, then `module.failed`). Its watcher keeps trying; a scan that works again restores it.
    @discardableResult
    public func moduleFailing(key: String, error: String, since: Date) -> [DaemonEvent] {
        state.withLock { state in
            guard let module = state.modules[key], module.state != .failed || module.error != error else { return [] }
            var events = Self.withdrawTokens(ofModule: key, in: &state)
            state.modules[key]?.state = .failed
            state.modules[key]?.error = error
            state.modules[key]?.since = module.state == .failed ? module.since : since
            state.modules[key]?.pendingCall = nil
            events.append(state.events.publish(.moduleFailed, EventData(module: module.name, error: error)))
            return events
        }
    }

    /// A module whose watcher has been inside `function` since `startedAt`, longer than the deadline: `stuck`, its
    /// tokens withdrawn (every later call into such a module would block as well). Published once.
    @discardableResult
    public func moduleStuck(key: String, function: String, startedAt: Date, now: Date = Date(), restarting: Bool = false) -> [DaemonEvent] {
        state.withLock { state in
            guard let module = state.modules[key], module.state != .stuck, module.state != .starting || module.host == nil else { return [] }
            let seconds = Int(now.timeIntervalSince(startedAt).rounded())
            let error = restarting
                ? "\(function) did not return within \(seconds) s; the module's tokens are withdrawn and its host is restarted"
                : "\(function) has not returned for \(seconds) s; the module's tokens are withdrawn until it does"
            var events = Self.withdrawTokens(ofModule: key, in: &state)
            state.modules[key]?.state = .stuck
            state.modules[key]?.error = error
            state.modules[key]?.since = startedAt
            state.modules[key]?.pendingCall = function
            events.append(state.events.publish(.moduleStuck, EventData(module: module.name, error: error)))
            return events
        }
    }

    /// Removes every token one module shows, publishing `token.removed` for each.
    static func withdrawTokens(ofModule key: String, in state: inout State) -> [DaemonEvent] {
        var events: [DaemonEvent] = []
        for (id, token) in state.tokens.sorted(by: { $0.value.slot < $1.value.slot }) where state.tokenModule[id] == key {
            state.tokens[id] = nil
            state.tokenModule[id] = nil
            events.append(state.events.publish(.tokenRemoved, EventData(token: token, tokenId: id, module: token.module)))
        }
        state.modules[key]?.tokenCount = 0
        return events
    }

}
