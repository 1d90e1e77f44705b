import Foundation
import KysoAPI
import KysoCore
import NIOCore
import NIOPosix
import PKCS11
import Synchronization

/// What every operation with a token's private key shares, signing and opening sealed secrets alike: the
/// token's serial queue with a deadline, and a login that reads the PIN flags first and never retries.
extension Signer {
    /// A session ready for private-key operations.
    struct LoggedIn: Sendable {
        let session: Session
        /// Said when the token reports a low PIN count.
        let warning: String?
        /// The session came from the login cache (no PIN was used).
        let cached: Bool
        /// The PIN state read right after this login (leftovers discounted); nil when none was made or read.
        var pinAfterLogin: PINStatus? = nil
    }

    /// Runs `work` on the token's serial queue; whichever comes first answers: the token, or the deadline
    /// (a hung module must not hang the caller; the call stays on that token's queue until the module returns).
    func onTokenQueue<T: Sendable>(_ tokenId: String, _ work: @escaping @Sendable () -> Result<T, ProblemDetails>) async -> Result<T, ProblemDetails> {
        let deadline = self.deadline
        let queue = queue(for: tokenId)
        // The deadline is a timer on an event loop (the caller's own when it runs on one: no wake-up to arm it),
        // cancelled once the token answers, so finished operations leave no timers waiting out the deadline.
        let timer = Mutex<Scheduled<Void>?>(nil)
        let result = await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (Result<T, ProblemDetails>) -> Void = { result in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            let startedAt = Date()
            queue.async { answer(work()) }
            let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(deadline.nanoseconds))) { [modules] in
                answer(.failure(ProblemDetails(
                    status: 504, code: "token-timeout", title: "The token did not answer in time",
                    detail: "no answer from token \(tokenId) within \(deadline); an isolated module's host is restarted, an in-process module stays busy until it returns")))
                // Then an isolated module's host is killed, which ends the call and frees the token's queue.
                modules.callOverdue(tokenId: tokenId, function: "an operation on the token's key", startedAt: startedAt)
            }
            timer.withLock { $0 = scheduled }
        }
        timer.withLock { $0 }?.cancel()
        return result
    }

    /// Blocking, on the token's queue: a cached session, or a new one logged in after the PIN flags allow it.
    /// A wrong PIN (or `CKR_GENERAL_ERROR`, some ePass2003 tokens' answer to one) is reported, never retried.
    /// A cached login is used only for the uid that opened it and a PIN that matches it (`LoginCache`); another
    /// uid's login is logged out first when this request can log in itself.
    func logIn(tokenId: String, module: PKCS11Module, slot: SlotID, info: TokenInfo, caller: UInt32, pin: [UInt8]?,
               allowFinalTry: Bool) throws(PKCS11Error) -> Result<LoggedIn, ProblemDetails> {
        switch loginCache.session(for: tokenId, caller: caller, pin: pin) {
        case .hit(let reused): return .success(LoggedIn(session: reused, warning: nil, cached: true))
        case .pinMismatch: return .failure(SigningProblems.pinMismatch)
        case .notServable:
            if pin == nil && !info.pinStatus.protectedAuthenticationPath { return .failure(SigningProblems.pinRequired) }
            dropCachedLogin(tokenId)
        case .miss: break
        }
        let session = try module.openSession(slot: slot)
        guard info.flags.contains(.loginRequired) else { return .success(LoggedIn(session: session, warning: nil, cached: false)) }
        let status = pinLeftovers.effective(tokenId: tokenId, info.pinStatus)
        var warning: String?
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
            session.close()
            pinLeftovers.forget(tokenId: tokenId)
            logger.notice("login refused", metadata: ["token": "\(tokenId)", "error": "\(error)"])
            // A card pulled during its VERIFY makes some drivers (OpenSC's PIV) answer CKR_GENERAL_ERROR: when the token
            // is gone afterwards, say so rather than blame the PIN. Either way nothing is tried again.
            let after: TokenInfo
            do throws(PKCS11Error) {
                // C_GetSlotInfo makes OpenSC look at the reader again; it notices a pulled card some 100 ms after pcscd,
                // so after CKR_GENERAL_ERROR (never a verdict on the PIN from a PIV card) it is asked for up to 1 s.
                let looks = error.returnValue == .generalError ? 10 : 1
                for look in 1...looks {
                    guard try module.slotInfo(slot).flags.contains(.tokenPresent) else {
                        return .failure(SigningProblems.tokenRemoved("the token went away during the login; the PIN was not retried"))
                    }
                    if look < looks { Thread.sleep(forTimeInterval: 0.1) }
                }
                after = try module.tokenInfo(slot)
            } catch {
                return .failure(SigningProblems.tokenRemoved("\(error): the token went away during the login; the PIN was not retried"))
            }
            inventory.updatePIN(tokenId: tokenId, flags: after.flags.names, pin: after.pinStatus)
            return .failure(SigningProblems.pinIncorrect(after.pinStatus.words))
        } catch where error.returnValue == .pinLocked {
            session.close()
            pinLeftovers.forget(tokenId: tokenId)
            let after = (try? module.tokenInfo(slot)) ?? info
            inventory.updatePIN(tokenId: tokenId, flags: after.flags.names, pin: after.pinStatus)
            return .failure(SigningProblems.pinRefused(.locked("the token locked its PIN")))
        }
        // The flags are read again after every login: a successful final try must clear `finalTry` at once.
        var pinAfterLogin: PINStatus?
        if let after = try? module.tokenInfo(slot) {
            pinLeftovers.remember(tokenId: tokenId, afterSuccess: after.pinStatus)
            pinAfterLogin = publishPIN(tokenId: tokenId, after)
        }
        return .success(LoggedIn(session: session, warning: warning, cached: false, pinAfterLogin: pinAfterLogin))
    }

    /// Tells the inventory the PIN state kysod decides on, leftovers from before a successful login discounted.
    @discardableResult
    func publishPIN(tokenId: String, _ info: TokenInfo) -> PINStatus {
        let status = pinLeftovers.effective(tokenId: tokenId, info.pinStatus)
        let flags = status == info.pinStatus ? info.flags : info.flags.subtracting([.userPINCountLow, .userPINFinalTry])
        inventory.updatePIN(tokenId: tokenId, flags: flags.names, pin: status)
        return status
    }

    /// Keeps a fresh login in the cache when it is enabled (for `caller`, checked against `pin`), else logs out and closes.
    func finish(_ loggedIn: LoggedIn, tokenId: String, loginRequired: Bool, caller: UInt32, pin: [UInt8]?) {
        if loginCache.isEnabled && !loggedIn.cached && loginRequired {
            loginCache.keep(loggedIn.session, for: tokenId, caller: caller, pin: pin)
        } else if !loggedIn.cached {
            try? loggedIn.session.logout()
            loggedIn.session.close()
        }
    }
}

/// The PIN flags each token reported right after kysod's last successful login on it (`PINFlagsAfterLogin`).
final class PINLeftovers: Sendable {
    private let remembered = Mutex<[String: PINFlagsAfterLogin]>([:])

    func effective(tokenId: String, _ fresh: PINStatus) -> PINStatus {
        remembered.withLock { $0[tokenId] }?.effective(fresh) ?? fresh
    }

    func remember(tokenId: String, afterSuccess status: PINStatus) {
        remembered.withLock { $0[tokenId] = PINFlagsAfterLogin(reportedAfterSuccess: status) }
    }

    func forget(tokenId: String) { remembered.withLock { _ = $0.removeValue(forKey: tokenId) } }

    func forgetAll() { remembered.withLock { $0.removeAll() } }
}
