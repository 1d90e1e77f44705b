import Crypto
import _CryptoExtras
import Foundation
public import KysoAPI
import KysoCore
import KysoInventory
public import Logging
import PKCS11
import Synchronization
import X509

/// Signs on tokens: one operation at a time per token, tokens in parallel, every PKCS#11 call on the token's
/// own serial queue (never the cooperative pool), the PIN flags read before every login, and each signature
/// checked against the certificate before it leaves.
public final class Signer: Sendable {
    let inventory: Inventory
    let modules: InventoryService
    let logger: Logger
    let loginCache: LoginCache
    let pinLeftovers = PINLeftovers()
    private let certificates = SigningCertificates()
    private let queues = Mutex<[String: DispatchQueue]>([:])
    let deadline: Duration

    /// - Parameter deadline: how long one signing operation may take on its token before the caller gets
    ///   `token-timeout`; a call stuck in the module stays on that token's queue, other tokens go on.
    public init(inventory: Inventory, modules: InventoryService, loginCacheTTL: Duration?, deadline: Duration = .seconds(20), logger: Logger) {
        self.deadline = deadline
        self.inventory = inventory
        self.modules = modules
        self.logger = logger
        loginCache = LoginCache(ttl: loginCacheTTL)
    }

    /// Forgets cached logins (`kyso logout`, SIGHUP, token removal): logs out and closes their sessions.
    public func dropLogins(tokenId: String? = nil) {
        // A token that went away may come back reset, or after wrong PINs elsewhere: its flags are believed again.
        if let tokenId { pinLeftovers.forget(tokenId: tokenId) } else { pinLeftovers.forgetAll() }
        for (id, session) in loginCache.drain(tokenId: tokenId) {
            queue(for: id).async {
                try? session.logout()
                session.close()
            }
        }
    }

    /// On the token's queue: logs out and closes the token's cached login at once (another uid's, before this
    /// request logs in itself: one PKCS#11 login covers every session, so a new C_Login would only be refused).
    func dropCachedLogin(_ tokenId: String) {
        for (_, session) in loginCache.drain(tokenId: tokenId) {
            try? session.logout()
            session.close()
        }
    }

    /// - Parameter caller: the uid asking; a cached login serves only the uid whose PIN opened it.
    public func sign(tokenId: String, request: SignRequest, caller: UInt32) async -> Result<SignResponse, ProblemDetails> {
        await sign(tokenId: tokenId, request: request, caller: caller, purpose: .plain)
    }

    /// - Parameter purpose: `.registration` only for `AccountService.register`, which signs the registration context.
    func sign(tokenId: String, request: SignRequest, caller: UInt32, purpose: SigningPlan.Purpose) async -> Result<SignResponse, ProblemDetails> {
        var pin = request.pin.map { Array($0.utf8) }
        defer { if pin != nil { for index in pin!.indices { pin![index] = 0 } } }
        let plan: SigningPlan
        switch SigningPlan.make(tokenId: tokenId, request: request, inventory: inventory, certificates: certificates, purpose: purpose) {
        case .failure(let problem): return .failure(problem)
        case .success(let made): plan = made
        }
        guard let location = inventory.location(of: tokenId), let module = modules.module(forKey: location.moduleKey) else {
            return .failure(SigningProblems.tokenNotFound(tokenId))
        }
        let pinBytes = pin
        let outcome = await onTokenQueue(tokenId) { [self] in
            signOnToken(plan: plan, module: module, slot: location.slot, caller: caller, pin: pinBytes, allowFinalTry: request.allowFinalTry ?? false)
        }
        switch outcome {
        case .failure(let problem):
            if problem.code == "token-removed" { modules.rescanAll() }
            return .failure(problem)
        case .success(let signed):
            // Catch a key that does not belong to its certificate before anyone relies on the signature.
            if let reason = plan.verificationProblem(signed.bytes) {
                logger.error("signature does not verify with the certificate", metadata: ["token": "\(tokenId)", "certificate": "\(plan.certificateSHA256)", "reason": "\(reason)"])
                return .failure(SigningProblems.keyMismatch("the signature made on token \(tokenId) does not verify with certificate \(plan.certificateSHA256): \(reason)"))
            }
            var metadata: Logger.Metadata = ["token": "\(tokenId)", "certificate": "\(plan.certificateSHA256)", "mechanism": "\(plan.mechanism.rawValue)", "output": "\(plan.output.rawValue)"]
            if let origin = request.origin { metadata["origin"] = "\(origin)" }  // checked by SigningPlan
            logger.info("signed", metadata: metadata)
            return .success(SignResponse(
                tokenId: tokenId, certificate: plan.certificateSHA256, mechanism: plan.mechanism.rawValue, output: plan.output.rawValue,
                signature: Data(signed.bytes), pin: signed.pin, warning: signed.warning, cachedLogin: signed.cachedLogin))
        }
    }

    struct TokenSignature: Sendable {
        var bytes: [UInt8]
        var pin: PINStatus
        var warning: String?
        var cachedLogin: Bool
    }

    /// Runs on the token's queue: every call here blocks on the token.
    private func signOnToken(plan: SigningPlan, module: PKCS11Module, slot: SlotID, caller: UInt32, pin: [UInt8]?,
                             allowFinalTry: Bool) -> Result<TokenSignature, ProblemDetails> {
        switch loginCache.session(for: plan.tokenId, caller: caller, pin: pin) {
        case .hit(let session): return signWithCachedLogin(plan: plan, session: session)
        case .pinMismatch: return .failure(SigningProblems.pinMismatch)
        case .miss, .notServable: break
        }
        do throws(PKCS11Error) {
            let info = try module.tokenInfo(slot)
            guard info.serialNumber == plan.tokenSerial else {
                return .failure(SigningProblems.tokenRemoved("another token is in the slot now"))
            }
            let loggedIn: LoggedIn
            switch try logIn(tokenId: plan.tokenId, module: module, slot: slot, info: info, caller: caller, pin: pin, allowFinalTry: allowFinalTry) {
            case .failure(let problem): return .failure(problem)
            case .success(let made): loggedIn = made
            }
            let (session, warning, cached) = (loggedIn.session, loggedIn.warning, loggedIn.cached)
            let signature: [UInt8]
            let key: ObjectHandle
            do {
                key = try plan.findKey(session: session)
                signature = try plan.sign(session: session, key: key)
            } catch {
                loginCache.forget(plan.tokenId)
                session.close()
                return .failure(signingProblem(error, plan: plan))
            }
            finish(loggedIn, tokenId: plan.tokenId, loginRequired: info.flags.contains(.loginRequired), caller: caller, pin: pin)
            loginCache.remember(key: key, plan.objectID, in: session, for: plan.tokenId)
            // A signature changes no PIN flag: the state read right after the login is the state now. A token that
            // needs no login is read here instead.
            let pinNow: PINStatus
            if let known = loggedIn.pinAfterLogin { pinNow = known } else { pinNow = publishPIN(tokenId: plan.tokenId, try module.tokenInfo(slot)) }
            return .success(TokenSignature(bytes: signature, pin: pinNow, warning: warning, cachedLogin: cached))
        } catch {
            loginCache.forget(plan.tokenId)
            return .failure(Self.problem(for: error))
        }
    }

    /// Runs on the token's queue, on a session the cache kept logged in. No login happens here, so neither the
    /// slot check nor the PIN flags need `C_GetTokenInfo` (two calls that re-read SoftHSM's token file each time),
    /// and the key handle found on the first signature is reused: a token pulled or swapped ends the session (the
    /// module then refuses it, and the cached login is dropped), a removed token's logins are dropped at once
    /// (`LoginJanitor`), and the signature is still checked against the certificate before it leaves.
    private func signWithCachedLogin(plan: SigningPlan, session: Session) -> Result<TokenSignature, ProblemDetails> {
        do {
            let key: ObjectHandle
            if let known = loginCache.key(plan.objectID, in: session, for: plan.tokenId) {
                key = known
            } else {
                key = try plan.findKey(session: session)
                loginCache.remember(key: key, plan.objectID, in: session, for: plan.tokenId)
            }
            let signature = try plan.sign(session: session, key: key)
            return .success(TokenSignature(bytes: signature, pin: plan.pin, warning: nil, cachedLogin: true))
        } catch {
            loginCache.forget(plan.tokenId)
            session.close()
            return .failure(signingProblem(error, plan: plan))
        }
    }

    private func signingProblem(_ error: any Error, plan: SigningPlan) -> ProblemDetails {
        if let error = error as? PKCS11Error { return Self.problem(for: error) }
        if error is KeyMismatch {
            return SigningProblems.keyMismatch("the token's key \(plan.objectID) does not match certificate \(plan.certificateSHA256)")
        }
        // swift-certificates refused something while building the CMS (not a token error).
        return ProblemDetails(status: 500, code: "signing-failed", title: "The signature could not be built", detail: "\(error)")
    }

    static func problem(for error: PKCS11Error) -> ProblemDetails {
        switch error.returnValue {
        case .deviceRemoved?, .tokenNotPresent?, .sessionHandleInvalid?, .slotIDInvalid?, .tokenNotRecognized?:
            SigningProblems.tokenRemoved("\(error): the token was pulled out or reset during the operation")
        case .mechanismInvalid?, .functionNotSupported?:
            ProblemDetails(status: 400, code: "mechanism-unsupported", title: "The token does not support this mechanism", detail: error.description)
        default:
            SigningProblems.tokenError(error)
        }
    }

    /// The serial queue for a token's operations: one per physical token, not per token id. The same card reached
    /// through two modules (OpenSC and a vendor's, say) has two ids but one PIN counter, so its logins must never
    /// overlap; it is told by its serial number, which both modules read from the card. Two different tokens that
    /// share a serial only wait for each other.
    /// A token id keeps the queue it first got, so work queued after the token went away (logging out its cached
    /// login) still runs behind its operations.
    func queue(for tokenId: String) -> DispatchQueue {
        if let known = queues.withLock({ $0["id:\(tokenId)"] }) { return known }
        let serial = inventory.serialNumber(of: tokenId)?.trimmingCharacters(in: .whitespaces) ?? ""
        let key = serial.isEmpty ? "id:\(tokenId)" : "serial:\(serial)"
        return queues.withLock { queues in
            if let queue = queues["id:\(tokenId)"] ?? queues[key] {
                queues["id:\(tokenId)"] = queue
                return queue
            }
            let queue = DispatchQueue(label: "kyso.token.\(key)")
            queues[key] = queue
            queues["id:\(tokenId)"] = queue
            return queue
        }
    }
}
