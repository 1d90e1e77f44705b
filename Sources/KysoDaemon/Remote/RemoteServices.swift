import Crypto
public import Foundation
import KysoAPI
import KysoCore
import KysoRemote
public import KysoStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// The configured remote signing services: each one's credentials listed as tokens of kind `remote` (its own source
/// in the inventory), refreshed every `refreshSeconds` and at once when an administrator sets a secret; its state
/// (available, unreachable, login rejected, secret missing) published in `GET /v1/status` for `kyso doctor`. A
/// service that is down or refuses the login shows no credential: nothing of it could sign.
public final class RemoteServices: Service, Sendable {
    struct Entry: Sendable {
        let settings: RemoteServiceSettings
        let backend: RemoteKeyBackend
    }

    let entries: [Entry]
    let inventory: Inventory
    let secrets: RemoteSecretStore
    let logger: Logger
    let expiringSoonDays: Int
    private let statuses: Mutex<[String: RemoteServiceStatus]>
    /// Fingerprints of the secrets each service's client was made with (a changed secret makes a new client).
    private let clientSecrets = Mutex<[String: [UInt8]]>([:])
    /// Services to ask again at once (a secret was set).
    private let refreshNow = Mutex<Set<String>>([])

    public init(settings: [RemoteServiceSettings], inventory: Inventory, stateDirectory: URL, sealer: HostSealer, logger: Logger,
                expiringSoonDays: Int = 30) {
        self.inventory = inventory
        secrets = RemoteSecretStore(stateDirectory: stateDirectory, sealer: sealer)
        self.logger = logger
        self.expiringSoonDays = expiringSoonDays
        entries = settings.map { service in
            Entry(settings: service, backend: RemoteKeyBackend(
                service: service.name, client: nil, approvalTimeout: service.approvalTimeout, holderApproves: service.holderApproves,
                awaitingApproval: { [inventory] key, deadline in
                    inventory.publish(.signatureAwaitingApproval, EventData(tokenId: key.tokenId, certificate: key.certificateSHA256, deadline: deadline))
                }))
        }
        statuses = Mutex(Dictionary(uniqueKeysWithValues: settings.map {
            ($0.name, RemoteServiceStatus(name: $0.name, provider: $0.provider, baseURL: $0.baseURL, state: .starting, error: nil,
                                          credentialCount: 0, checkedAt: nil))
        }))
        inventory.setRemoteServiceStatuses(currentStatuses)
    }

    /// The key backends, for the Signer.
    public var backends: [any KeyBackend] { entries.map(\.backend) }

    var currentStatuses: [RemoteServiceStatus] {
        let all = statuses.withLock { $0 }
        return entries.compactMap { all[$0.settings.name] }
    }

    func entry(_ name: String) -> Entry? { entries.first { $0.settings.name == name } }

    /// The backend holding `tokenId`, for `POST /v1/tokens/{id}/otp`.
    func backend(holding tokenId: String) -> RemoteKeyBackend? { entries.first { $0.backend.holds(tokenId: tokenId) }?.backend }

    public func run() async throws {
        // A service that returns ends the whole group: with nothing configured, wait for the stop.
        guard !entries.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for entry in entries { group.addTask { await self.watch(entry) } }
            }
        } onGracefulShutdown: {
            // Signatures waiting for a holder's approval end now (`shutting-down`) rather than holding kysod's stop.
            for entry in self.entries { entry.backend.cancelWaits() }
        }
        for entry in entries { await entry.backend.use(nil)?.shutdown() }
    }

    /// Lists one service's credentials until kysod stops: every refresh interval when it answers, every few seconds
    /// while it does not, at once when its secret changes.
    private func watch(_ entry: Entry) async {
        let name = entry.settings.name
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let state = await check(entry)
            let wait = state == .available ? entry.settings.refreshInterval : min(entry.settings.refreshInterval, .seconds(5))
            let until = ContinuousClock.now + wait
            while ContinuousClock.now < until, !Task.isShuttingDownGracefully, !Task.isCancelled {
                if refreshNow.withLock({ $0.remove(name) != nil }) { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Asks the service once: its credentials into the inventory, or none and the reason in its status.
    @discardableResult
    func check(_ entry: Entry) async -> RemoteServiceState {
        let settings = entry.settings
        let source = "remote:" + settings.name
        let outcome: (RemoteServiceState, String?)
        switch makeClientIfNeeded(entry) {
        case .failure(let problem):
            outcome = (problem.state, problem.message)
        case .success:
            do {
                let now = Date()
                let found = try await entry.backend.refresh(now: now)
                let previous = Dictionary(inventory.tokens.filter { $0.remote?.service == settings.name }.map { ($0.id, $0.insertedAt) },
                                          uniquingKeysWith: { first, _ in first })
                var responses: [String: TokenInfoResponse] = [:]
                for (slot, token) in found.sorted(by: { $0.credential.credentialID < $1.credential.credentialID }).enumerated() {
                    responses[token.tokenId] = RemoteTokenResponses.make(
                        token, service: settings, slot: UInt(slot), insertedAt: previous[token.tokenId] ?? now, now: now,
                        expiringSoonDays: expiringSoonDays)
                }
                inventory.replaceTokens(ofSource: source, with: responses)
                outcome = (.available, nil)
            } catch let error as CSCError {
                outcome = Self.state(error)
            } catch {
                outcome = (.failing, "\(error)")
            }
        }
        if outcome.0 != .available {
            entry.backend.withdraw()
            inventory.replaceTokens(ofSource: source, with: [:])
        }
        record(settings, state: outcome.0, error: outcome.1, count: entry.backend.currentTokens.count)
        return outcome.0
    }

    /// A client with the service's current secrets: made on first use and again when a secret changed.
    private func makeClientIfNeeded(_ entry: Entry) -> Result<Void, ServiceProblem> {
        let settings = entry.settings
        var values: [RemoteSecretKind: String] = [:]
        var fingerprint: [UInt8] = []
        for kind in settings.login.secrets {
            do throws(SealingError) {
                guard let opened = try secrets.open(service: settings.name, kind: kind) else {
                    return .failure(ServiceProblem(state: .secretMissing, message: "the \(kind.rawValue) for login \(settings.login.rawValue) was never set: "
                        + "run `kyso remote secret \(settings.name) \(kind.rawValue)` as an administrator"))
                }
                var bytes = opened.value
                values[kind] = String(decoding: bytes, as: UTF8.self)
                fingerprint += Array(SHA256.hash(data: bytes))
                SecretBytes.wipe(&bytes)
            } catch {
                return .failure(ServiceProblem(state: .secretMissing, message: "the sealed \(kind.rawValue) does not open: \(error.reason)"))
            }
        }
        let unchanged = clientSecrets.withLock { $0[settings.name] == fingerprint } && entry.backend.currentClient != nil
        if unchanged { return .success(()) }
        do {
            let client = try CSCClient(configuration: settings.clientConfiguration(secrets: values))
            if let old = entry.backend.use(client) { Task { await old.shutdown() } }
            clientSecrets.withLock { $0[settings.name] = fingerprint }
            return .success(())
        } catch {
            return .failure(ServiceProblem(state: .failing, message: "cannot set up the client: \(error)"))
        }
    }

    struct ServiceProblem: Error {
        var state: RemoteServiceState
        var message: String
    }

    static func state(_ error: CSCError) -> (RemoteServiceState, String?) {
        switch error {
        case .unreachable(_, let reason): (.unreachable, "the service does not answer: \(reason)")
        case .tlsFailure(_, let reason): (.unreachable, "the service's TLS certificate is not trusted or the handshake failed: \(reason)")
        case .timedOut(let method): (.unreachable, "the service did not answer \(method) in time")
        case .loginRejected(let detail), .accessTokenRejected(let detail):
            (.loginRejected, "the service refused Kyso's login (check the client id, user and secret): \(detail)")
        default: (.failing, "the service answered, but not as the CSC API says (check baseURL and methodPaths): \(error)")
        }
    }

    private func record(_ settings: RemoteServiceSettings, state: RemoteServiceState, error: String?, count: Int) {
        let previous = statuses.withLock { statuses in
            defer {
                statuses[settings.name] = RemoteServiceStatus(
                    name: settings.name, provider: settings.provider, baseURL: settings.baseURL, state: state, error: error,
                    credentialCount: count, checkedAt: Date())
            }
            return statuses[settings.name]
        }
        inventory.setRemoteServiceStatuses(currentStatuses)
        if previous?.state != state || previous?.error != error {
            let metadata: Logger.Metadata = ["service": "\(settings.name)", "state": "\(state.rawValue)", "credentials": "\(count)"]
            if state == .available {
                logger.info("remote signing service available", metadata: metadata)
            } else {
                logger.warning("remote signing service not available: \(error ?? "")", metadata: metadata)
            }
        }
    }

    /// Asks `name` again at once (a secret changed).
    func refreshSoon(_ name: String) { _ = refreshNow.withLock { $0.insert(name) } }
}
