import KysoAPI
import KysoCore
import KysoRemote
import KysoText

/// The failures of a remote credential, as catalog messages so an answer in Vietnamese (Accept-Language) says what
/// happened; the English detail, which logs, the audit and English clients read, stays word for word what it was.
/// Texts the service or the system wrote (a reason, an error) go into the message as they came.
extension RemoteKeyBackend {
    static func noCredential(_ tokenId: String) -> OperationFailure {
        OperationFailure(.tokenNotFound, Message("problem.remote.noCredential", ["id": tokenId]))
    }

    static let noOTPNeeded = OperationFailure(.mechanismUnsupported, Message("problem.remote.noOTPNeeded"))

    static func noCertificate(_ key: KeyReference) -> OperationFailure {
        OperationFailure(.certificateNotFound, Message("problem.remote.noCertificate", ["id": key.tokenId, "sha256": key.certificateSHA256]))
    }

    static let browserAuthorisation = OperationFailure(.mechanismUnsupported, Message("problem.remote.browserAuthorisation"))
    static let pinRequired = OperationFailure(.pinRequired, Message("problem.remote.pinRequired"))

    static func otpRequired(_ tokenId: String) -> OperationFailure {
        OperationFailure(.otpRequired, Message("problem.remote.otpRequired", ["id": tokenId]))
    }

    /// Not the service's answer (a local error): the code's own catalog text in other languages.
    static func unavailable(_ error: any Error) -> OperationFailure { OperationFailure(.remoteServiceUnavailable, "\(error)") }
    static func signingFailed(_ error: any Error) -> OperationFailure { OperationFailure(.signingFailed, "\(error)") }

    static func failure(_ error: KeyOperationError) -> OperationFailure {
        switch error {
        case .parametersRefused(let detail): OperationFailure(.mechanismUnsupported, detail)
        case .notPermitted(let detail): OperationFailure(.mechanismUnsupported, detail)
        case .keyMismatch: OperationFailure(.keyCertificateMismatch)
        }
    }

    /// The service's answers in the daemon's failure codes. `approval`: the holder was asked on their phone, so a
    /// refusal or a signHash held past its time is theirs.
    static func failure(_ error: CSCError, approval: Bool) -> OperationFailure {
        switch error {
        case .invalidPIN(let left):
            OperationFailure(.pinIncorrect, left.map { Message("problem.remote.pinRefusedLeft", ["left": String($0)]) } ?? Message("problem.remote.pinRefused"))
        case .invalidOTP(let left):
            OperationFailure(.pinIncorrect, left.map { Message("problem.remote.otpRefusedLeft", ["left": String($0)]) } ?? Message("problem.remote.otpRefused"))
        case .pinLocked, .otpLocked: OperationFailure(.pinLocked, Message("problem.remote.locked"))
        case .approvalTimedOut: OperationFailure(.approvalTimedOut, Message("problem.remote.approvalTimedOut"))
        case .timedOut(let method) where approval && method == "signatures/signHash":
            OperationFailure(.approvalTimedOut, Message("problem.remote.approvalTimedOut"))
        case .accessDenied(let detail):
            OperationFailure(.approvalRefused, detail.isEmpty ? Message("problem.remote.approvalRefused")
                                                              : Message("problem.remote.approvalRefusedBecause", ["detail": detail]))
        case .sadExpired, .sadInvalid, .hashNotAuthorized:
            OperationFailure(.tokenTimeout, Message("problem.remote.authorisationEnded", ["error": "\(error)"]))
        case .timedOut(let method): OperationFailure(.tokenTimeout, Message("problem.remote.noAnswer", ["method": method]))
        case .unreachable(_, let reason), .tlsFailure(_, let reason):
            OperationFailure(.remoteServiceUnavailable, Message("problem.remote.unreachable", ["reason": reason]))
        case .loginRejected(let detail), .accessTokenRejected(let detail):
            OperationFailure(.remoteServiceUnavailable, Message("problem.remote.loginRefused", ["detail": detail]))
        case .credentialUnknown, .credentialDisabled: OperationFailure(.tokenRemoved, Message("problem.remote.credentialGone"))
        case .unsupported(let what): OperationFailure(.mechanismUnsupported, Message("problem.remote.unsupported", ["what": what]))
        case .cancelled: OperationFailure(.shuttingDown, Message("problem.remote.cancelled"))
        default: OperationFailure(.signingFailed, "\(error)")
        }
    }
}
