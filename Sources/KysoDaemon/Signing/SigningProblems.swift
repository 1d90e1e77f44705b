import KysoAPI
import PKCS11

/// Stable problem codes of the signing endpoint.
enum SigningProblems {
    static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 400, code: "bad-request", title: "Bad request", detail: detail)
    }
    static let reservedContext = ProblemDetails(
        status: 400, code: "registration-context", title: "Data reserved for registration proofs",
        detail: "data beginning with the registration context (kyso-registration-v1 and a NUL byte) is signed only by POST /v1/registrations")
    static func unknownMechanism(_ name: String) -> ProblemDetails {
        ProblemDetails(status: 400, code: "unknown-mechanism", title: "Unknown mechanism",
                       detail: "\(name) is not one of \(SignatureMechanism.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    static func tokenNotFound(_ id: String) -> ProblemDetails {
        ProblemDetails(status: 404, code: "token-not-found", title: "No such token", detail: "no token with id \(id) is present")
    }
    static func certificateNotFound(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 404, code: "certificate-not-found", title: "No such certificate on the token", detail: detail)
    }
    static func noPrivateKey(_ sha256: String) -> ProblemDetails {
        ProblemDetails(status: 409, code: "no-private-key", title: "The certificate's key is not on this token",
                       detail: "certificate \(sha256) has no private key on the token")
    }
    static let pinRequired = ProblemDetails(status: 401, code: "pin-required", title: "PIN required",
                                            detail: "send the token's PIN in the request body (field pin)")
    static func pinIncorrect(_ words: String) -> ProblemDetails {
        ProblemDetails(status: 401, code: "pin-incorrect", title: "Wrong PIN",
                       detail: "the token refused the PIN; Kyso does not try again by itself. Token now: \(words)")
    }
    /// A PIN checked against the one that opened the token's cached login (the token itself was not asked).
    static let pinMismatch = ProblemDetails(
        status: 401, code: "pin-incorrect", title: "Wrong PIN",
        detail: "the PIN is not the one the token's cached login was opened with; the token was not asked, so no try was used")
    static func pinRefused(_ status: PINStatusWords) -> ProblemDetails {
        switch status {
        case .locked(let reason): ProblemDetails(status: 423, code: "pin-locked", title: "PIN locked", detail: reason)
        case .finalTry(let reason): ProblemDetails(status: 409, code: "pin-final-try", title: "One PIN try left", detail: reason)
        case .notInitialized(let reason): ProblemDetails(status: 409, code: "pin-not-initialized", title: "PIN not initialised", detail: reason)
        }
    }
    static func tokenRemoved(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 410, code: "token-removed", title: "The token was removed", detail: detail)
    }
    static func keyMismatch(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 500, code: "key-certificate-mismatch", title: "The token's key does not match its certificate", detail: detail)
    }
    static func tokenError(_ error: PKCS11Error) -> ProblemDetails {
        ProblemDetails(status: 502, code: "token-error", title: "The token reported an error", detail: error.description)
    }
}

enum PINStatusWords {
    case locked(String), finalTry(String), notInitialized(String)
}
