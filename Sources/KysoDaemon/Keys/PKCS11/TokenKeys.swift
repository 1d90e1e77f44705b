import Foundation
import KysoAPI
import KysoCore
public import Logging
import PKCS11
import Synchronization

/// The keys on PKCS#11 tokens: one operation at a time per physical token, tokens in parallel, every PKCS#11 call
/// on the token's own serial queue (never the cooperative pool) under a deadline, the PIN flags read before every
/// login and a wrong PIN never retried, and logins cached per caller when the configuration allows.
public final class TokenKeys: KeyBackend {
    let inventory: Inventory
    let modules: ModuleService
    let logger: Logger
    let loginCache: LoginCache
    let pinLeftovers = PINLeftovers()
    let queues: TokenQueues

    /// - Parameter deadline: how long one operation may take on its token before the caller gets `token-timeout`;
    ///   a call stuck in the module stays on that token's queue, other tokens go on.
    public init(inventory: Inventory, modules: ModuleService, loginCacheTTL: Duration?, deadline: Duration = .seconds(20), logger: Logger) {
        self.inventory = inventory
        self.modules = modules
        self.logger = logger
        loginCache = LoginCache(ttl: loginCacheTTL)
        queues = TokenQueues(inventory: inventory, modules: modules, deadline: deadline)
    }

    /// Tokens that came from a PKCS#11 module kysod watches (another backend's tokens have other sources).
    public func holds(tokenId: String) -> Bool {
        guard let location = inventory.location(of: tokenId) else { return false }
        return modules.module(forKey: location.moduleKey) != nil
    }

    public func withKey<T: Sendable>(_ key: KeyReference, authorization: KeyAuthorization,
                                     _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure> {
        let tokenId = key.tokenId
        guard let token = inventory.token(id: tokenId), let location = inventory.location(of: tokenId),
              let module = modules.module(forKey: location.moduleKey) else {
            return .failure(SigningProblems.tokenNotFound(tokenId))
        }
        guard let certificate = token.certificates.first(where: { $0.sha256 == key.certificateSHA256 }) else {
            return .failure(SigningProblems.certificateNotFound("token \(tokenId) holds no certificate \(key.certificateSHA256)"))
        }
        guard certificate.privateKeyOnToken, let objectID = Hex.bytes(certificate.objectId) else {
            return .failure(SigningProblems.noPrivateKey(key.certificateSHA256))
        }
        let target = KeyOnToken(tokenId: tokenId, serial: token.serialNumber, module: module, slot: location.slot, objectID: objectID,
                                knownPIN: token.pin, certificateSHA256: key.certificateSHA256)
        let outcome = await queues.run(tokenId) { [self] in use(target, authorization, body) }
        if case .failure(let failure) = outcome, failure.code == .tokenRemoved { modules.rescanAll() }
        return outcome
    }

    /// Forgets cached logins (`kyso logout`, SIGHUP, token removal): logs out and closes their sessions.
    public func forgetAuthorizations(tokenId: String?) {
        // A token that went away may come back reset, or after wrong PINs elsewhere: its flags are believed again.
        if let tokenId { pinLeftovers.forget(tokenId: tokenId) } else { pinLeftovers.forgetAll() }
        for (id, session) in loginCache.drain(tokenId: tokenId) {
            queues.queue(for: id).async {
                try? session.logout()
                session.close()
            }
        }
    }

    /// What one operation needs to reach its key, read from the inventory before it is queued.
    struct KeyOnToken: Sendable {
        let tokenId: String
        let serial: String
        let module: PKCS11Module
        let slot: SlotID
        let objectID: [UInt8]
        /// The PIN state as the inventory last read it (what an operation on a cached login reports).
        let knownPIN: PINStatus
        let certificateSHA256: String
    }

    /// Runs on the token's queue: every call here blocks on the token. A login the cache kept for this caller needs
    /// neither the slot check nor the PIN flags (`C_GetTokenInfo` re-reads SoftHSM's token file each time), and the
    /// key handle found on its first use is reused: a token pulled or swapped ends the session (the module then
    /// refuses it and the cached login is dropped), and a removed token's logins are dropped at once (`LoginJanitor`).
    private func use<T>(_ target: KeyOnToken, _ authorization: KeyAuthorization,
                        _ body: (any KeyOperations) throws -> T) -> Result<KeyUse<T>, OperationFailure> {
        let pin = authorization.pin?.bytes
        switch loginCache.session(for: target.tokenId, caller: authorization.caller, pin: pin) {
        case .hit(let session):
            return run(body, on: session, target, cached: true).map { KeyUse(value: $0.value, pin: target.knownPIN, warning: nil, cachedLogin: true) }
        case .pinMismatch: return .failure(SigningProblems.pinMismatch)
        case .miss, .notServable: break
        }
        do throws(PKCS11Error) {
            let info = try target.module.tokenInfo(target.slot)
            guard info.serialNumber == target.serial else {
                return .failure(SigningProblems.tokenRemoved("another token is in the slot now"))
            }
            let loggedIn: LoggedIn
            switch try logIn(tokenId: target.tokenId, module: target.module, slot: target.slot, info: info, caller: authorization.caller,
                             pin: pin, allowFinalTry: authorization.allowFinalTry) {
            case .failure(let failure): return .failure(failure)
            case .success(let made): loggedIn = made
            }
            let value: T
            let key: ObjectHandle
            switch run(body, on: loggedIn.session, target, cached: false) {
            case .failure(let failure): return .failure(failure)
            case .success(let made): (value, key) = made
            }
            finish(loggedIn, tokenId: target.tokenId, loginRequired: info.flags.contains(.loginRequired), caller: authorization.caller, pin: pin)
            loginCache.remember(key: key, target.objectID, in: loggedIn.session, for: target.tokenId)
            // An operation changes no PIN flag: the state read right after the login is the state now. A token that
            // needs no login is read here instead.
            let pinNow: PINStatus
            if let known = loggedIn.pinAfterLogin { pinNow = known } else { pinNow = publishPIN(tokenId: target.tokenId, try target.module.tokenInfo(target.slot)) }
            return .success(KeyUse(value: value, pin: pinNow, warning: loggedIn.warning, cachedLogin: loggedIn.cached))
        } catch {
            loginCache.forget(target.tokenId)
            return .failure(Self.failure(for: error))
        }
    }

    /// Finds the key (or takes the handle the cached session found before) and runs `body`; on an error the
    /// session is closed and its cached login forgotten.
    private func run<T>(_ body: (any KeyOperations) throws -> T, on session: Session, _ target: KeyOnToken,
                        cached: Bool) -> Result<(value: T, key: ObjectHandle), OperationFailure> {
        do {
            let key: ObjectHandle
            if cached, let known = loginCache.key(target.objectID, in: session, for: target.tokenId) {
                key = known
            } else {
                guard let found = try session.findObjects(class: .privateKey, id: target.objectID).first else {
                    throw PKCS11Error(.returnValue(.keyHandleInvalid), function: "C_FindObjects", detail: "no private key with the certificate's CKA_ID")
                }
                key = found
            }
            let value = try body(SessionKeyOperations(session: session, key: key))
            if cached { loginCache.remember(key: key, target.objectID, in: session, for: target.tokenId) }
            return .success((value, key))
        } catch {
            loginCache.forget(target.tokenId)
            session.close()
            return .failure(failure(error, target: target))
        }
    }

    private func failure(_ error: any Error, target: KeyOnToken) -> OperationFailure {
        switch error {
        case let error as PKCS11Error: Self.failure(for: error)
        case KeyOperationError.keyMismatch:
            SigningProblems.keyMismatch("the token's key \(Hex.lowercase(target.objectID)) does not match certificate \(target.certificateSHA256)")
        case KeyOperationError.parametersRefused(let reason), KeyOperationError.notPermitted(let reason):
            OperationFailure(.tokenError, reason)
        // swift-certificates refused something while building the CMS (not a token error).
        default: OperationFailure(.signingFailed, "\(error)")
        }
    }

    static func failure(for error: PKCS11Error) -> OperationFailure {
        switch error.returnValue {
        case .deviceRemoved?, .tokenNotPresent?, .sessionHandleInvalid?, .slotIDInvalid?, .tokenNotRecognized?:
            SigningProblems.tokenRemoved("\(error): the token was pulled out or reset during the operation")
        case .mechanismInvalid?, .functionNotSupported?:
            OperationFailure(.mechanismUnsupported, error.description)
        default:
            SigningProblems.tokenError(error)
        }
    }
}
