/// Why a binding (or a rebind) was refused. Nothing is stored when one is returned.
public struct BindingRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable code that callers can compare; the raw value is the API's problem code (kebab-case, like
    /// every other problem code).
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The statement names another certificate (fingerprint, serial, issuer, tax code or validity differ).
        case statementDoesNotMatchCertificate = "statement-does-not-match-certificate"
        /// The certificate carries no valid tax code.
        case certificateHasNoTaxCode = "certificate-has-no-tax-code"
        case certificateExpired = "certificate-expired"
        case certificateNotYetValid = "certificate-not-yet-valid"
        /// The statement's time is in the future, outside the certificate's validity, or too old.
        case statementTimeInvalid = "statement-time-invalid"
        /// The certificate's issuer is not a known Vietnamese licensed CA (nor the Kyso lab's TEST PKI), and unknown
        /// CAs are not allowed (`BindingRules.allowUnknownCAs`).
        case unknownCA = "unknown-ca"
        /// The certificate's tax code is neither the account's nor a branch of it.
        case taxCodeMismatch = "tax-code-mismatch"
        /// This account is already bound (to this or, for an admin account, any certificate of its tax code).
        case alreadyBound = "already-bound"
        /// The certificate already serves another declarant account.
        case certificateBoundToOtherAccount = "certificate-bound-to-other-account"
        /// The User ID is already bound to another certificate.
        case userIdTaken = "user-id-taken"
        /// Rebind: the account is not bound.
        case notBound = "not-bound"
        /// Rebind: the statement's account fields differ from the bound account's.
        case accountMismatch = "account-mismatch"
        /// Rebind: the binding already names this certificate.
        case sameCertificate = "same-certificate"
    }

    public var code: Code
    public var reason: String
    /// The account that stands in the way, for `alreadyBound`, `certificateBoundToOtherAccount` and `userIdTaken`.
    public var conflictingAccount: AccountKey?

    public init(_ code: Code, _ reason: String, conflictingAccount: AccountKey? = nil) {
        self.code = code
        self.reason = reason
        self.conflictingAccount = conflictingAccount
    }

    public var description: String { reason }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
