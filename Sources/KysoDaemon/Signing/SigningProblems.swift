import KysoCore
import KysoText
import KysoAPI
import PKCS11

/// The failures of signing and of every other use of a token's key, with what a person needs to know.
enum SigningProblems {
    static let reservedContext = OperationFailure(
        .registrationContext,
        "data beginning with the registration context (kyso-registration-v1 and a NUL byte) is signed only by POST /v1/registrations")
    static func unknownMechanism(_ name: String) -> OperationFailure {
        OperationFailure(.unknownMechanism, "\(name) is not one of \(SignatureMechanism.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    static func tokenNotFound(_ id: String) -> OperationFailure { OperationFailure(.tokenNotFound, Message("problem.tokenNotFound", ["id": id])) }
    static func certificateNotFound(_ detail: String) -> OperationFailure { OperationFailure(.certificateNotFound, detail) }
    static func noPrivateKey(_ sha256: String) -> OperationFailure {
        OperationFailure(.noPrivateKey, Message("problem.noPrivateKey", ["sha256": sha256]))
    }
    static let pinRequired = OperationFailure(.pinRequired, Message("problem.pinRequired"))
    static func pinIncorrect(_ pin: PINStatus) -> OperationFailure {
        OperationFailure(.pinIncorrect, detail: "the token refused the PIN; Kyso does not try again by itself. Token now: \(pin.words)",
                         message: Message("problem.pinIncorrect", parts: ["pin": pin.state.shortMessage]))
    }
    /// A PIN checked against the one that opened the token's cached login (the token itself was not asked).
    static let pinMismatch = OperationFailure(.pinIncorrect, Message("problem.pinMismatch"))
    static func pinRefused(_ status: PINStatusWords) -> OperationFailure {
        switch status {
        case .locked(let reason): OperationFailure(.pinLocked, reason)
        case .finalTry(let reason): OperationFailure(.pinFinalTry, reason)
        case .notInitialized(let reason): OperationFailure(.pinNotInitialized, reason)
        }
    }
    static func tokenRemoved(_ detail: String) -> OperationFailure { OperationFailure(.tokenRemoved, detail) }
    static func keyMismatch(_ detail: String) -> OperationFailure { OperationFailure(.keyCertificateMismatch, detail) }
    static func tokenError(_ error: PKCS11Error) -> OperationFailure { OperationFailure(.tokenError, error.description) }
}

enum PINStatusWords {
    case locked(String), finalTry(String), notInitialized(String)
}
