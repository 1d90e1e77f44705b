/// Why a binding (or a rebind) was refused. Nothing is stored when one is returned.
public struct BindingRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable code that callers can compare and map to API errors.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The statement names another certificate (fingerprint, serial, issuer, tax code or validity differ).
        case statementDoesNotMatchCertificate
        /// The certificate carries no valid tax code.
        case certificateHasNoTaxCode
        case certificateExpired
        case certificateNotYetValid
        /// The statement's time is in the future, outside the certificate's validity, or too old.
        case statementTimeInvalid
        /// The certificate's tax code is neither the account's nor a branch of it.
        case taxCodeMismatch
        /// This account is already bound (to this or, for an admin account, any certificate of its tax code).
        case alreadyBound
        /// The certificate already serves another declarant account.
        case certificateBoundToOtherAccount
        /// The User ID is already bound to another certificate.
        case userIdTaken
        /// Rebind: the account is not bound.
        case notBound
        /// Rebind: the statement's account fields differ from the bound account's.
        case accountMismatch
        /// Rebind: the binding already names this certificate.
        case sameCertificate
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
