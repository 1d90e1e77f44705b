import Crypto
import Dispatch
public import Foundation
import KysoAPI
import KysoCore
public import KysoRemote
import Synchronization

/// The credentials of one remote signing service (CSC API) behind the key-backend seam: each credential is one token
/// of the inventory, and signing with it is `credentials/authorize` (the caller's PIN and OTP, bound to the digest)
/// then `signatures/signHash`, waiting for the holder's approval when the service asks for it.
///
/// The digest is known only inside `KeyOperations.sign`, so both calls happen there, on this backend's own queue
/// (operations block until the service answers; never on the cooperative pool). A PIN or OTP is sent once per
/// request and never kept: the service's SAD covers exactly the hashes of that request.
public final class RemoteKeyBackend: KeyBackend {
    /// One credential as the inventory will know it.
    public struct Token: Sendable {
        public var tokenId: String
        public var credential: RemoteCredential
        /// SHA-256 of the credential's certificate, lowercase hex: the key reference's `certificateSHA256`.
        public var certificateSHA256: String

        public init(tokenId: String, credential: RemoteCredential) {
            self.tokenId = tokenId
            self.credential = credential
            certificateSHA256 = Hex.lowercase(SHA256.hash(data: credential.certificate))
        }
    }

    public let service: String
    private let client: Mutex<CSCClient?>
    private let tokens: Mutex<[String: Token]>
    private let approvalTimeout: Duration
    /// The holder approves every signature on their phone, even where the service answers synchronously (v1).
    private let holderApproves: Bool
    private let awaitingApproval: @Sendable (KeyReference, Date) -> Void
    private let queue: DispatchQueue
    let waits = RemoteWaits()

    /// - Parameters:
    ///   - service: the configured service name (part of each token id).
    ///   - awaitingApproval: told when a signature waits for the holder, with the deadline (kysod's
    ///     `signature.awaiting-approval`).
    public init(service: String, client: CSCClient?, approvalTimeout: Duration = .seconds(120), holderApproves: Bool = false,
                awaitingApproval: @escaping @Sendable (KeyReference, Date) -> Void = { _, _ in }) {
        self.service = service
        self.client = Mutex(client)
        self.approvalTimeout = approvalTimeout
        self.holderApproves = holderApproves
        self.awaitingApproval = awaitingApproval
        tokens = Mutex([:])
        queue = DispatchQueue(label: "kyso.remote.\(service)", attributes: .concurrent)
    }

    /// A stable token id for a service's credential: the same after a restart, distinct across services.
    public static func tokenId(service: String, credentialID: String) -> String {
        "remote-" + Hex.lowercase(SHA256.hash(data: Array("\(service)\u{0}\(credentialID)".utf8))).prefix(16)
    }

    /// Uses `client` from now on (new secrets); returns the one it replaces, for the caller to shut down.
    public func use(_ client: CSCClient?) -> CSCClient? {
        self.client.withLock { current in
            defer { current = client }
            return current
        }
    }

    public var currentClient: CSCClient? { client.withLock { $0 } }

    /// Reads the service's credentials (`credentials/list`, `credentials/info`) and makes them this backend's tokens.
    @discardableResult
    public func refresh(now: Date = Date()) async throws -> [Token] {
        guard let client = currentClient else { throw CSCError.loginRejected("no login configured") }
        let found = try await client.credentials(now: now).map {
            Token(tokenId: Self.tokenId(service: service, credentialID: $0.credentialID), credential: $0)
        }
        tokens.withLock { $0 = Dictionary(found.map { ($0.tokenId, $0) }, uniquingKeysWith: { first, _ in first }) }
        return found
    }

    /// Forgets every credential (the service is down or refuses the login: nothing of it can sign).
    public func withdraw() { tokens.withLock { $0 = [:] } }

    public var currentTokens: [Token] { tokens.withLock { Array($0.values) } }

    public func holds(tokenId: String) -> Bool { tokens.withLock { $0[tokenId] != nil } }

    /// `credentials/sendOTP`: the service sends the holder a one-time password (SMS, app) for `tokenId`.
    public func sendOTP(tokenId: String) async -> Result<Void, OperationFailure> {
        guard let token = tokens.withLock({ $0[tokenId] }), let client = currentClient else {
            return .failure(Self.noCredential(tokenId))
        }
        guard token.credential.authorisation.otp != .absent else {
            return .failure(Self.noOTPNeeded)
        }
        do {
            try await client.sendOTP(credentialID: token.credential.credentialID)
            return .success(())
        } catch let error as CSCError {
            return .failure(Self.failure(error, approval: false))
        } catch {
            return .failure(Self.unavailable(error))
        }
    }

    public func withKey<T: Sendable>(_ key: KeyReference, authorization: KeyAuthorization,
                                     _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure> {
        guard let token = tokens.withLock({ $0[key.tokenId] }), let client = currentClient else {
            return .failure(Self.noCredential(key.tokenId))
        }
        guard token.certificateSHA256 == key.certificateSHA256 else {
            return .failure(Self.noCertificate(key))
        }
        if token.credential.authorisation.mode == .oauth2code {
            return .failure(Self.browserAuthorisation)
        }
        if token.credential.authorisation.pin == .required, authorization.pin == nil {
            return .failure(Self.pinRequired)
        }
        if token.credential.authorisation.otp == .required, authorization.otp == nil {
            return .failure(Self.otpRequired(key.tokenId))
        }
        let holderApproves = holderApproves
        let operations = RemoteKeyOperations(
            client: client, token: token, pin: authorization.pin, otp: authorization.otp, approvalTimeout: approvalTimeout,
            holderApproves: holderApproves, waits: waits,
            awaitingApproval: { [awaitingApproval] deadline in awaitingApproval(key, deadline) })
        return await withCheckedContinuation { continuation in
            queue.async {
                let outcome: Result<KeyUse<T>, OperationFailure>
                do {
                    let value = try body(operations)
                    outcome = .success(KeyUse(value: value, pin: PINStatus(locked: false, finalTry: false, countLow: false),
                                              warning: nil, cachedLogin: false))
                } catch let error as CSCError {
                    outcome = .failure(Self.failure(error, approval: holderApproves))
                } catch let error as KeyOperationError {
                    outcome = .failure(Self.failure(error))
                } catch {
                    outcome = .failure(Self.signingFailed(error))
                }
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Nothing to forget: no login is kept (the service access token is not the holder's PIN, and a SAD never
    /// outlives its request).
    public func forgetAuthorizations(tokenId: String?) {}

    /// Stops every wait for the service (kysod is stopping): those requests fail with `shutting-down`, and the
    /// signature requests already sent are never sent again.
    public func cancelWaits() { waits.cancelAll() }
}

/// The tasks waiting on a service, so a stopping kysod can end them rather than wait out an approval.
final class RemoteWaits: Sendable {
    private struct State {
        var next = 0
        var tasks: [Int: Task<Void, Never>] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    /// Keeps `task` until `remove`; a task added after `cancelAll` is cancelled at once.
    func add(_ task: Task<Void, Never>) -> Int {
        let (id, closed) = state.withLock { state in
            state.next += 1
            if !state.closed { state.tasks[state.next] = task }
            return (state.next, state.closed)
        }
        if closed { task.cancel() }
        return id
    }

    func remove(_ id: Int) { _ = state.withLock { $0.tasks.removeValue(forKey: id) } }

    func cancelAll() {
        let tasks = state.withLock { state in
            state.closed = true
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }
}
