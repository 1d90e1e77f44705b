import Foundation
import KysoAPI
import KysoCore
import PKCS11
import Synchronization

/// The login every operation with a token's private key goes through, signing and opening sealed secrets alike:
/// it reads the PIN flags first and never retries.
extension TokenKeys {
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

    /// Blocking, on the token's queue: a cached session, or a new one logged in after the PIN flags allow it.
    /// A wrong PIN (or `CKR_GENERAL_ERROR`, some ePass2003 tokens' answer to one) is reported, never retried.
    /// A cached login is used only for the uid that opened it and a PIN that matches it (`LoginCache`); another
    /// uid's login is logged out first when this request can log in itself.
    func logIn(tokenId: String, module: PKCS11Module, slot: SlotID, info: TokenInfo, caller: UInt32, pin: [UInt8]?,
               allowFinalTry: Bool) throws(PKCS11Error) -> Result<LoggedIn, OperationFailure> {
        switch loginCache.session(for: tokenId, caller: caller, pin: pin) {
        case .hit(let reused): return .success(LoggedIn(session: reused, warning: nil, cached: true))
        case .pinMismatch: return .failure(SigningProblems.pinMismatch)
        case .notServable:
            if pin == nil && !info.pinStatus.protectedAuthenticationPath { return .failure(SigningProblems.pinRequired) }
            // Another uid's login is logged out before this request logs in itself: one PKCS#11 login covers every
            // session, so a new C_Login would only be refused.
            for (_, session) in loginCache.drain(tokenId: tokenId) {
                try? session.logout()
                session.close()
            }
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
            return .failure(SigningProblems.pinIncorrect(after.pinStatus))
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

