public import Foundation
public import KysoAPI
public import KysoCore
public import TokenScan
import Synchronization

/// Everything kysod knows about tokens, modules and readers, and the event log that tells clients how it
/// changed. Queries read memory only; nothing here touches a token.
public final class Inventory: Sendable {
    struct State {
        var tokens: [String: TokenInfoResponse] = [:]
        /// Which module and slot each token id came from, to diff one module's scan at a time.
        var tokenModule: [String: String] = [:]
        var modules: [String: ModuleStatus] = [:]
        var moduleOrder: [String] = []
        var pcsc = PCSCStatus(state: .unavailable, readers: [])
        var events: EventLog
    }

    let state: Mutex<State>
    /// Adds the customs accounts each certificate serves (set by the account service); applied on every read.
    /// Boxed: a closure kept directly in a Mutex is re-wrapped in a reabstraction thunk on every `withLock`
    /// write-back, so each read made it one call deeper until the stack overflowed.
    private let decorator = Mutex<DecoratorBox?>(nil)
    public let startedAt = Date()
    private let expiringSoonDays: Int
    /// The remote signing services' states (RemoteServices publishes them), for `GET /v1/status`.
    private let remoteServiceStatuses = Mutex<[RemoteServiceStatus]>([])

    public init(eventBufferSize: Int = 1024, maxSubscribers: Int = 64, expiringSoonDays: Int = 30) {
        state = Mutex(State(events: EventLog(capacity: eventBufferSize, maxSubscribers: maxSubscribers)))
        self.expiringSoonDays = expiringSoonDays
    }

    // MARK: Queries

    public var tokens: [TokenInfoResponse] {
        let tokens = state.withLock { state in state.tokens.values.sorted { ($0.module, $0.slot, $0.id) < ($1.module, $1.slot, $1.id) } }
        return tokens.map(decorate)
    }

    public func token(id: String) -> TokenInfoResponse? { state.withLock { $0.tokens[id] }.map(decorate) }

    /// A present token's serial number, without building its response.
    func serialNumber(of tokenId: String) -> String? { state.withLock { $0.tokens[tokenId]?.serialNumber } }

    public func setDecorator(_ decorate: @escaping @Sendable (TokenInfoResponse) -> TokenInfoResponse) {
        decorator.withLock { $0 = DecoratorBox(decorate) }
    }

    func decorate(_ token: TokenInfoResponse) -> TokenInfoResponse {
        decorator.withLock { $0 }.map { $0.decorate(token) } ?? token
    }

    public func certificate(sha256: String) -> CertificateResponse? {
        let tokens = self.tokens
        var found: (TokenCertificate)?
        var locations: [CertificateResponse.Location] = []
        for token in tokens {
            for certificate in token.certificates where certificate.sha256 == sha256 {
                found = found ?? certificate
                locations.append(.init(tokenId: token.id, tokenLabel: token.label, objectId: certificate.objectId,
                                       uri: certificate.uri, privateKeyOnToken: certificate.privateKeyOnToken))
            }
        }
        guard let found else { return nil }
        return CertificateResponse(sha256: sha256, der: found.der, profile: found.profile, locations: locations)
    }

    public func status(version: String) -> StatusResponse {
        let remote = remoteServiceStatuses.withLock { $0 }
        return state.withLock { state in
            StatusResponse(
                version: version, startedAt: startedAt, uptimeSeconds: Date().timeIntervalSince(startedAt),
                pcsc: state.pcsc, modules: state.moduleOrder.compactMap { state.modules[$0] }, tokenCount: state.tokens.count,
                remoteServices: remote.isEmpty ? nil : remote)
        }
    }

    func setRemoteServiceStatuses(_ statuses: [RemoteServiceStatus]) {
        remoteServiceStatuses.withLock { $0 = statuses }
    }

    public var lastEventID: UInt64 { state.withLock { $0.events.lastID } }
    public var subscriberCount: Int { state.withLock { $0.events.subscriberCount } }

    // MARK: Events

    public enum SubscribeError: Error { case tooManySubscribers }

    /// A stream that starts with a snapshot, or with the missed events when `lastEventID` is still in the buffer.
    public func subscribe(lastEventID: UInt64?, isInternal: Bool = false) throws(SubscribeError) -> (id: UInt64, events: AsyncStream<DaemonEvent>) {
        let result: Result<(UInt64, AsyncStream<DaemonEvent>), SubscribeError> = state.withLock { state in
            let initial: [DaemonEvent]
            if let lastEventID, let missed = state.events.events(after: lastEventID) {
                initial = missed
            } else {
                let tokens = state.tokens.values.sorted { ($0.module, $0.slot, $0.id) < ($1.module, $1.slot, $1.id) }.map(decorate)
                initial = [DaemonEvent(id: state.events.lastID, type: .snapshot, time: Date(), data: EventData(tokens: tokens))]
            }
            do throws(EventLog.SubscribeError) {
                return .success(try state.events.subscribe(initial: initial, isInternal: isInternal))
            } catch {
                return .failure(.tooManySubscribers)
            }
        }
        let (id, stream) = try result.get()
        return (id, stream)
    }

    public func unsubscribe(_ id: UInt64) { state.withLock { $0.events.unsubscribe(id) } }

    public func finishSubscribers() { state.withLock { $0.events.finishAll() } }

    @discardableResult
    public func publish(_ type: EventType, _ data: EventData) -> DaemonEvent {
        state.withLock { $0.events.publish(type, data) }
    }

    // MARK: Updates

    /// Where a token is: its module (by key) and slot.
    public func location(of tokenId: String) -> (moduleKey: String, slot: UInt)? {
        state.withLock { state in
            guard let module = state.tokenModule[tokenId], let token = state.tokens[tokenId] else { return nil }
            return (module, token.slot)
        }
    }

    /// Records PIN flags read after a login attempt and tells clients when they changed.
    public func updatePIN(tokenId: String, flags: [String], pin: PINStatus) {
        state.withLock { state in
            guard var token = state.tokens[tokenId], token.flags != flags else { return }
            token.flags = flags
            token.pin = pin
            token.pinWords = pin.words
            state.tokens[tokenId] = token
            _ = state.events.publish(.tokenChanged, EventData(token: decorate(token)))
        }
    }

    /// Replaces what one module shows with a fresh scan, publishing insertions, removals and changes.
    @discardableResult
    public func apply(moduleKey: String, moduleName: String, tokens scanned: [ScannedToken], now: Date = Date()) -> [DaemonEvent] {
        // Profiles are computed outside the lock: parsing certificates is the only real work here.
        // Blank tokens (SoftHSM's spare slot, a reset card) hold nothing to sign with; `kyso doctor` explains them.
        let fresh = scanned.filter { $0.info.flags.contains(.tokenInitialized) }
            .map { token in (TokenIdentity.id(modulePath: token.modulePath, info: token.info), token) }
        var seen: [String: ScannedToken] = [:]
        for (id, token) in fresh {
            // Two tokens claiming the same identity in one module keep both, told apart by slot.
            seen[seen[id] == nil ? id : "\(id)-\(token.slot)"] = token
        }
        let previous = state.withLock { state in state.tokens.filter { state.tokenModule[$0.key] == moduleKey } }
        var responses: [String: TokenInfoResponse] = [:]
        for (id, token) in seen {
            let insertedAt = previous[id]?.insertedAt ?? now
            responses[id] = TokenResponses.make(id: id, token: token, insertedAt: insertedAt, now: now, expiringSoonDays: expiringSoonDays)
        }
        return replaceTokens(ofSource: moduleKey, with: responses)
    }

    /// Replaces the tokens one source shows (a PKCS#11 module's scan, or a key backend's own list, such as a remote
    /// signing service's credentials) and publishes the insertions, removals and changes. A source that had failed
    /// or was stuck is loaded again.
    @discardableResult
    public func replaceTokens(ofSource moduleKey: String, with responses: [String: TokenInfoResponse]) -> [DaemonEvent] {
        state.withLock { state in
            var events: [DaemonEvent] = []
            // A scan that works again ends a failed or stuck spell: say so before its tokens come back.
            if let module = state.modules[moduleKey], module.state != .loaded {
                // A first start is no recovery; a host started again after a crash, a kill or a failed start is.
                let recovered = module.state != .starting || (module.host?.restarts ?? 0) > 0
                state.modules[moduleKey]?.state = .loaded
                state.modules[moduleKey]?.error = nil
                state.modules[moduleKey]?.since = nil
                state.modules[moduleKey]?.pendingCall = nil
                if recovered { events.append(state.events.publish(.moduleRecovered, EventData(module: module.name))) }
            }
            for (id, old) in state.tokens where state.tokenModule[id] == moduleKey && responses[id] == nil {
                state.tokens[id] = nil
                state.tokenModule[id] = nil
                events.append(state.events.publish(.tokenRemoved, EventData(token: old, tokenId: id, module: old.module)))
            }
            for (id, response) in responses.sorted(by: { $0.value.slot < $1.value.slot }) {
                let old = state.tokens[id]
                // Keep the earlier profile evaluation when nothing material changed, so reads stay stable.
                if let old, !TokenResponses.materiallyDiffer(old, response) { continue }
                state.tokens[id] = response
                state.tokenModule[id] = moduleKey
                if old == nil {
                    events.append(state.events.publish(.tokenInserted, EventData(token: decorate(response))))
                } else if let old, TokenResponses.materiallyDiffer(old, response) {
                    events.append(state.events.publish(.tokenChanged, EventData(token: decorate(response))))
                }
            }
            state.modules[moduleKey]?.tokenCount = responses.count
            return events
        }
    }

    /// Records the readers pcscd reports and publishes the differences.
    public func updatePCSC(_ status: PCSCStatus) {
        state.withLock { state in
            let wasRunning = state.pcsc.state == .running
            state.pcsc = status
            if wasRunning && status.state != .running {
                _ = state.events.publish(.pcscUnavailable, EventData(error: status.error))
            } else if !wasRunning && status.state == .running {
                _ = state.events.publish(.pcscAvailable, EventData())
            }
        }
    }
}

final class DecoratorBox: Sendable {
    let decorate: @Sendable (TokenInfoResponse) -> TokenInfoResponse
    init(_ decorate: @escaping @Sendable (TokenInfoResponse) -> TokenInfoResponse) { self.decorate = decorate }
}
