import KysoAPI
import KysoCore
import KysoStore

/// Stable problem codes of the account endpoints.
enum AccountProblems {
    static func field(_ error: AccountFieldError) -> ProblemDetails {
        ProblemDetails(status: 422, code: "invalid-field", title: "Invalid account field", detail: "\(error.identifier): \(error.reason)")
    }
    static func statement(_ error: RegistrationStatementError) -> ProblemDetails {
        ProblemDetails(status: 422, code: "invalid-statement", title: "Invalid registration statement", detail: "\(error.code.rawValue): \(error.reason)")
    }
    static func refusal(_ refusal: BindingRefusal) -> ProblemDetails {
        let conflict: Set<BindingRefusal.Code> = [.alreadyBound, .certificateBoundToOtherAccount, .userIdTaken]
        return ProblemDetails(status: conflict.contains(refusal.code) ? 409 : 422, code: refusal.code.rawValue,
                              title: "Binding refused", detail: refusal.reason)
    }
    static func store(_ error: StoreError) -> ProblemDetails {
        switch error.code {
        case .duplicateAccount, .certificateAlreadyBound:
            ProblemDetails(status: 409, code: "duplicate-binding", title: "Already bound", detail: error.reason)
        case .notBound:
            ProblemDetails(status: 404, code: "not-bound", title: "No such binding", detail: error.reason)
        case .statementNotIssued:
            ProblemDetails(status: 422, code: "statement-not-issued", title: "Not a statement this kysod issued", detail: error.reason)
        case .statementAlreadyUsed:
            ProblemDetails(status: 409, code: "statement-already-used", title: "Statement already bound once", detail: error.reason)
        default:
            ProblemDetails(status: 500, code: "store-error", title: "The binding store failed", detail: error.reason)
        }
    }
    static func certificateNotPresent(_ sha256: String) -> ProblemDetails {
        ProblemDetails(status: 404, code: "certificate-not-present", title: "Certificate not on any present token",
                       detail: "plug in the token that holds certificate \(sha256)")
    }
    static func certificateNotValid(_ status: CertificateStatus) -> ProblemDetails {
        ProblemDetails(status: 422, code: status == .expired ? "certificate-expired" : "certificate-not-yet-valid",
                       title: "Certificate not valid now", detail: "the certificate is \(status.rawValue)")
    }
    static func taxCodeMismatch(_ certificate: String?, _ account: String) -> ProblemDetails {
        ProblemDetails(status: 422, code: "tax-code-mismatch", title: "Tax code does not match",
                       detail: "the certificate's tax code \(certificate ?? "(none)") does not serve account tax code \(account)")
    }
    static let signatureInvalid = ProblemDetails(
        status: 422, code: "signature-invalid", title: "The signature does not verify",
        detail: "the CMS signature is not a valid registration signature (context kyso-registration-v1 and the statement) by the certificate it names")
    static func secretNotStored(_ kind: String) -> ProblemDetails {
        ProblemDetails(status: 404, code: "secret-not-stored", title: "No such secret", detail: "no \(kind) is stored for this account")
    }
}
