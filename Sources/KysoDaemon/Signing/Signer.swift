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
        for (id, session) in loginCache.drain(tokenId: tokenId) {
            queue(for: id).async {
                try? session.logout()
                session.close()
            }
        }
    }

    public func sign(tokenId: String, request: SignRequest) async -> Result<SignResponse, ProblemDetails> {
        var pin = request.pin.map { Array($0.utf8) }
        defer { if pin != nil { for index in pin!.indices { pin![index] = 0 } } }
        let plan: SigningPlan
        switch SigningPlan.make(tokenId: tokenId, request: request, inventory: inventory) {
        case .failure(let problem): return .failure(problem)
        case .success(let made): plan = made
        }
        guard let location = inventory.location(of: tokenId), let module = modules.module(forKey: location.moduleKey) else {
            return .failure(SigningProblems.tokenNotFound(tokenId))
        }
        let pinBytes = pin
        let outcome = await onTokenQueue(tokenId) { [self] in
            signOnToken(plan: plan, module: module, slot: location.slot, pin: pinBytes, allowFinalTry: request.allowFinalTry ?? false)
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
            logger.info("signed", metadata: ["token": "\(tokenId)", "certificate": "\(plan.certificateSHA256)", "mechanism": "\(plan.mechanism.rawValue)", "output": "\(plan.output.rawValue)"])
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
    private func signOnToken(plan: SigningPlan, module: PKCS11Module, slot: SlotID, pin: [UInt8]?, allowFinalTry: Bool) -> Result<TokenSignature, ProblemDetails> {
        do throws(PKCS11Error) {
            let info = try module.tokenInfo(slot)
            guard info.serialNumber == plan.tokenSerial else {
                return .failure(SigningProblems.tokenRemoved("another token is in the slot now"))
            }
            let loggedIn: LoggedIn
            switch try logIn(tokenId: plan.tokenId, module: module, slot: slot, info: info, pin: pin, allowFinalTry: allowFinalTry) {
            case .failure(let problem): return .failure(problem)
            case .success(let made): loggedIn = made
            }
            let (session, warning, cached) = (loggedIn.session, loggedIn.warning, loggedIn.cached)
            let signature: [UInt8]
            do {
                signature = try plan.sign(session: session)
            } catch {
                loginCache.forget(plan.tokenId)
                session.close()
                if let error = error as? PKCS11Error { throw error }
                if error is KeyMismatch {
                    return .failure(SigningProblems.keyMismatch("the token's key \(plan.objectID) does not match certificate \(plan.certificateSHA256)"))
                }
                // swift-certificates refused something while building the CMS (not a token error).
                return .failure(ProblemDetails(status: 500, code: "signing-failed", title: "The signature could not be built",
                                               detail: "\(error)"))
            }
            finish(loggedIn, tokenId: plan.tokenId, loginRequired: info.flags.contains(.loginRequired))
            let after = try module.tokenInfo(slot)
            if after.flags != info.flags {
                inventory.updatePIN(tokenId: plan.tokenId, flags: after.flags.names, pin: after.pinStatus)
            }
            return .success(TokenSignature(bytes: signature, pin: after.pinStatus, warning: warning, cachedLogin: cached))
        } catch {
            loginCache.forget(plan.tokenId)
            return .failure(Self.problem(for: error))
        }
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

    func queue(for tokenId: String) -> DispatchQueue {
        queues.withLock { queues in
            if let queue = queues[tokenId] { return queue }
            let queue = DispatchQueue(label: "kyso.token.\(tokenId)")
            queues[tokenId] = queue
            return queue
        }
    }
}
