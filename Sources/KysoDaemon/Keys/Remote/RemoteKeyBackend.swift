import Crypto
import Dispatch
public import Foundation
import KysoAPI
import KysoCore
public import KysoRemote
import Synchronization

/// The credentials of one remote signing service (CSC API) behind the key-backend seam: each credential is one token
/// of the inventory, and signing with it is `credentials/authorize` (the caller's PIN, bound to the digest) then
/// `signatures/signHash`, waiting for the holder's approval when the service asks for it.
///
/// The digest is known only inside `KeyOperations.sign`, so both calls happen there, on this backend's own queue
/// (operations block until the service answers; never on the cooperative pool). A PIN is sent once per request and
/// never kept: the service's SAD covers exactly the hashes of that request.
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
    private let client: CSCClient
    private let tokens: Mutex<[String: Token]>
    private let approvalTimeout: Duration
    private let awaitingApproval: @Sendable (KeyReference) -> Void
    private let queue: DispatchQueue

    /// - Parameters:
    ///   - service: the configured service name (part of each token id).
    ///   - awaitingApproval: told when a signature waits for the holder (kysod's `signature.awaiting-approval`).
    public init(service: String, client: CSCClient, approvalTimeout: Duration = .seconds(120),
                awaitingApproval: @escaping @Sendable (KeyReference) -> Void = { _ in }) {
        self.service = service
        self.client = client
        self.approvalTimeout = approvalTimeout
        self.awaitingApproval = awaitingApproval
        tokens = Mutex([:])
        queue = DispatchQueue(label: "kyso.remote.\(service)")
    }

    /// A stable token id for a service's credential: the same after a restart, distinct across services.
    public static func tokenId(service: String, credentialID: String) -> String {
        "remote-" + Hex.lowercase(SHA256.hash(data: Array("\(service)\u{0}\(credentialID)".utf8))).prefix(16)
    }

    /// Reads the service's credentials (`credentials/list`, `credentials/info`) and makes them this backend's tokens.
    @discardableResult
    public func refresh(now: Date = Date()) async throws -> [Token] {
        let found = try await client.credentials(now: now).map {
            Token(tokenId: Self.tokenId(service: service, credentialID: $0.credentialID), credential: $0)
        }
        tokens.withLock { $0 = Dictionary(found.map { ($0.tokenId, $0) }, uniquingKeysWith: { first, _ in first }) }
        return found
    }

    public var currentTokens: [Token] { tokens.withLock { Array($0.values) } }

    public func holds(tokenId: String) -> Bool { tokens.withLock { $0[tokenId] != nil } }

    public func withKey<T: Sendable>(_ key: KeyReference, authorization: KeyAuthorization,
                                     _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure> {
        guard let token = tokens.withLock({ $0[key.tokenId] }) else {
            return .failure(OperationFailure(.tokenNotFound, "no remote credential with token id \(key.tokenId)"))
        }
        guard token.certificateSHA256 == key.certificateSHA256 else {
            return .failure(OperationFailure(.certificateNotFound, "remote credential \(key.tokenId) holds no certificate \(key.certificateSHA256)"))
        }
        if token.credential.authorisation.pin == .required, authorization.pin == nil {
            return .failure(OperationFailure(.pinRequired, "the signing service asks for the credential's PIN"))
        }
        if token.credential.authorisation.mode == .oauth2code {
            return .failure(OperationFailure(.mechanismUnsupported, "the credential is authorised in a browser (oauth2code), which Kyso does not do"))
        }
        let operations = RemoteKeyOperations(
            client: client, token: token, pin: authorization.pin, approvalTimeout: approvalTimeout,
            awaitingApproval: { [awaitingApproval] in awaitingApproval(key) })
        return await withCheckedContinuation { continuation in
            queue.async {
                let outcome: Result<KeyUse<T>, OperationFailure>
                do {
                    let value = try body(operations)
                    outcome = .success(KeyUse(value: value, pin: PINStatus(locked: false, finalTry: false, countLow: false),
                                              warning: nil, cachedLogin: false))
                } catch let error as CSCError {
                    outcome = .failure(Self.failure(error))
                } catch let error as KeyOperationError {
                    outcome = .failure(Self.failure(error))
                } catch {
                    outcome = .failure(OperationFailure(.signingFailed, "\(error)"))
                }
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Nothing to forget: no login is kept (the service access token is not the holder's PIN, and a SAD never
    /// outlives its request).
    public func forgetAuthorizations(tokenId: String?) {}

    static func failure(_ error: KeyOperationError) -> OperationFailure {
        switch error {
        case .parametersRefused(let detail): OperationFailure(.mechanismUnsupported, detail)
        case .notPermitted(let detail): OperationFailure(.mechanismUnsupported, detail)
        case .keyMismatch: OperationFailure(.keyCertificateMismatch)
        }
    }

    /// The service's answers in the daemon's failure codes.
    static func failure(_ error: CSCError) -> OperationFailure {
        switch error {
        case .invalidPIN(let left):
            OperationFailure(.pinIncorrect, left.map { "the signing service refused the PIN (\($0) tries left)" } ?? "the signing service refused the PIN")
        case .invalidOTP: OperationFailure(.pinIncorrect, "the signing service refused the OTP")
        case .pinLocked, .otpLocked: OperationFailure(.pinLocked, "the signing service has locked the credential's PIN or OTP")
        case .approvalTimedOut: OperationFailure(.tokenTimeout, "the holder did not approve the signature on their phone in time")
        case .accessDenied(let detail): OperationFailure(.signingFailed, "the holder or the service refused the signature: \(detail)")
        case .timedOut(let method): OperationFailure(.tokenTimeout, "the signing service did not answer \(method) in time")
        case .unreachable(_, let reason), .tlsFailure(_, let reason): OperationFailure(.tokenError, "the signing service is unreachable: \(reason)")
        case .loginRejected(let detail), .accessTokenRejected(let detail): OperationFailure(.tokenError, "the signing service refused Kyso's login: \(detail)")
        case .credentialUnknown, .credentialDisabled: OperationFailure(.tokenRemoved, "the signing service no longer offers this credential")
        case .unsupported(let what): OperationFailure(.mechanismUnsupported, "the signing service does not support \(what)")
        default: OperationFailure(.signingFailed, "\(error)")
        }
    }
}
