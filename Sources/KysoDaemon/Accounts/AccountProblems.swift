import KysoText
import KysoAPI
import KysoCore
import KysoStore

/// The failures of the account endpoints, with what a person needs to know.
enum AccountProblems {
    static func field(_ error: AccountFieldError) -> OperationFailure {
        OperationFailure(.invalidField, detail: "\(error.identifier): \(error.reason)",
                         message: Message("problem.invalidField", ["identifier": error.identifier], parts: ["reason": error.message]))
    }
    static func statement(_ error: RegistrationStatementError) -> OperationFailure {
        OperationFailure(.invalidStatement, "\(error.code.rawValue): \(error.reason)")
    }
    static func refusal(_ refusal: BindingRefusal) -> OperationFailure { OperationFailure(refusal: refusal) }
    static func store(_ error: StoreError) -> OperationFailure {
        switch error.code {
        case .duplicateAccount, .certificateAlreadyBound: OperationFailure(.duplicateBinding, error.reason)
        case .notBound: OperationFailure(.notBound, error.reason)
        case .statementNotIssued: OperationFailure(.statementNotIssued, error.reason)
        case .statementAlreadyUsed: OperationFailure(.statementAlreadyUsed, error.reason)
        default: OperationFailure(.storeError, error.reason)
        }
    }
    static func certificateNotPresent(_ sha256: String) -> OperationFailure {
        OperationFailure(.certificateNotPresent, Message("problem.certificateNotPresent", ["sha256": sha256]))
    }
    static func certificateNotValid(_ status: CertificateStatus) -> OperationFailure {
        OperationFailure(status == .expired ? .certificateExpired : .certificateNotYetValid, "the certificate is \(status.rawValue)")
    }
    static func taxCodeMismatch(_ certificate: String?, _ account: String) -> OperationFailure {
        OperationFailure(.taxCodeMismatch, detail: "the certificate's tax code \(certificate ?? "(none)") does not serve account tax code \(account)",
                         message: Message("problem.taxCodeMismatch", ["certificate": certificate ?? "-", "account": account]))
    }
    static let signatureInvalid = OperationFailure(
        .signatureInvalid,
        "the CMS signature is not a valid registration signature (context kyso-registration-v1 and the statement) by the certificate it names")
    static func secretNotStored(_ kind: SecretKind) -> OperationFailure {
        OperationFailure(.secretNotStored, detail: "no \(kind.rawValue) is stored for this account",
                         message: Message("problem.secretNotStored", parts: ["secret": Message("secret.\(kind.rawValue)")]))
    }
}
