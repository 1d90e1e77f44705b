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
    private let inventory: Inventory
    private let modules: InventoryService
    private let logger: Logger
    private let loginCache: LoginCache
    private let queues = Mutex<[String: DispatchQueue]>([:])
    private let deadline: Duration

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
        let deadline = self.deadline
        let outcome: Result<TokenSignature, ProblemDetails> = await withCheckedContinuation { continuation in
            // Whichever comes first answers: the token, or the deadline (a hung module must not hang the caller).
            let answered = Mutex(false)
            let answer: @Sendable (Result<TokenSignature, ProblemDetails>) -> Void = { result in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            queue(for: tokenId).async { [self] in
                answer(signOnToken(plan: plan, module: module, slot: location.slot, pin: pinBytes,
                                   allowFinalTry: request.allowFinalTry ?? false))
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(deadline.nanoseconds))) {
                answer(.failure(ProblemDetails(
                    status: 504, code: "token-timeout", title: "The token did not answer in time",
                    detail: "no answer from token \(tokenId) within \(deadline); it stays busy until its module returns")))
            }
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
            var warning: String?
            var cached = false
            let session: Session
            if let reused = loginCache.session(for: plan.tokenId) {
                session = reused
                cached = true
            } else {
                session = try module.openSession(slot: slot)
                if info.flags.contains(.loginRequired) {
                    let status = info.pinStatus
                    switch PINPolicy.decide(status, allowFinalTry: allowFinalTry) {
                    case .refuse(let reason):
                        session.close()
                        let words: PINStatusWords = status.state == .locked ? .locked(reason)
                            : status.state == .finalTry ? .finalTry(reason) : .notInitialized(reason)
                        return .failure(SigningProblems.pinRefused(words))
                    case .proceedWithWarning(let text): warning = text
                    case .proceed: break
                    }
                    if pin == nil && !status.protectedAuthenticationPath {
                        session.close()
                        return .failure(SigningProblems.pinRequired)
                    }
                    do throws(PKCS11Error) {
                        try session.login(pin: status.protectedAuthenticationPath && pin == nil ? nil : pin)
                    } catch where error.returnValue == .pinIncorrect || error.returnValue == .generalError {
                        // Some ePass2003 tokens answer a wrong PIN with CKR_GENERAL_ERROR: count it as a wrong PIN, never retry.
                        session.close()
                        let after = (try? module.tokenInfo(slot)) ?? info
                        inventory.updatePIN(tokenId: plan.tokenId, flags: after.flags.names, pin: after.pinStatus)
                        return .failure(SigningProblems.pinIncorrect(after.pinStatus.words))
                    } catch where error.returnValue == .pinLocked {
                        session.close()
                        let after = (try? module.tokenInfo(slot)) ?? info
                        inventory.updatePIN(tokenId: plan.tokenId, flags: after.flags.names, pin: after.pinStatus)
                        return .failure(SigningProblems.pinRefused(.locked("the token locked its PIN")))
                    }
                }
            }
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
            if loginCache.isEnabled && !cached && info.flags.contains(.loginRequired) {
                loginCache.keep(session, for: plan.tokenId)
            } else if !cached {
                try? session.logout()
                session.close()
            }
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

    private func queue(for tokenId: String) -> DispatchQueue {
        queues.withLock { queues in
            if let queue = queues[tokenId] { return queue }
            let queue = DispatchQueue(label: "kyso.token.\(tokenId)")
            queues[tokenId] = queue
            return queue
        }
    }
}
