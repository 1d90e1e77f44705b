import Foundation
import KysoAPI
import KysoCore
import PKCS11

/// Any operation with a certificate's private key other than the signature endpoint's (opening sealed secrets):
/// the same token queue, deadline, PIN-safe login and login cache as signing.
extension Signer {
    /// Finds the token holding the key of certificate `sha256` and runs `body` with a logged-in session and the
    /// key's handle on that token's queue. `body` blocks on the token.
    func withPrivateKey<T: Sendable>(
        certificate sha256: String, caller: UInt32, pin: [UInt8]?, allowFinalTry: Bool,
        _ body: @escaping @Sendable (Session, ObjectHandle) throws(PKCS11Error) -> Result<T, ProblemDetails>
    ) async -> Result<T, ProblemDetails> {
        guard let certificate = inventory.certificate(sha256: sha256) else {
            return .failure(AccountProblems.certificateNotPresent(sha256))
        }
        guard let holder = certificate.locations.first(where: \.privateKeyOnToken),
              let objectID = Hex.bytes(holder.objectId) else {
            return .failure(SigningProblems.noPrivateKey(sha256))
        }
        let tokenId = holder.tokenId
        guard let token = inventory.token(id: tokenId), let location = inventory.location(of: tokenId),
              let module = modules.module(forKey: location.moduleKey) else {
            return .failure(SigningProblems.tokenNotFound(tokenId))
        }
        let serial = token.serialNumber
        let outcome = await onTokenQueue(tokenId) { [self] () -> Result<T, ProblemDetails> in
            do throws(PKCS11Error) {
                let info = try module.tokenInfo(location.slot)
                guard info.serialNumber == serial else {
                    return .failure(SigningProblems.tokenRemoved("another token is in the slot now"))
                }
                let loggedIn: LoggedIn
                switch try logIn(tokenId: tokenId, module: module, slot: location.slot, info: info, caller: caller, pin: pin, allowFinalTry: allowFinalTry) {
                case .failure(let problem): return .failure(problem)
                case .success(let made): loggedIn = made
                }
                let result: Result<T, ProblemDetails>
                do throws(PKCS11Error) {
                    guard let key = try loggedIn.session.findObjects(class: .privateKey, id: objectID).first else {
                        throw PKCS11Error(.returnValue(.keyHandleInvalid), function: "C_FindObjects",
                                          detail: "no private key with the certificate's CKA_ID")
                    }
                    result = try body(loggedIn.session, key)
                } catch {
                    loginCache.forget(tokenId)
                    loggedIn.session.close()
                    throw error
                }
                finish(loggedIn, tokenId: tokenId, loginRequired: info.flags.contains(.loginRequired), caller: caller, pin: pin)
                return result
            } catch {
                loginCache.forget(tokenId)
                return .failure(Self.problem(for: error))
            }
        }
        if case .failure(let problem) = outcome, problem.code == "token-removed" { modules.rescanAll() }
        return outcome
    }
}
