/// Every problem code of API version 1: the `code` of a problem details body (RFC 9457), stable across releases.
/// kysod answers only these; `kyso` and tools decide on them, never on a title or detail text. The binding rules'
/// own codes (`BindingRefusal.Code` in KysoCore) are among them with the same spelling.
public enum ProblemCode: String, CaseIterable, Codable, Sendable {
    // The request itself.
    case badRequest = "bad-request"
    case bodyTooLarge = "body-too-large"
    case forbidden
    case methodNotAllowed = "method-not-allowed"
    case notFound = "not-found"
    case internalError = "internal-error"
    // kysod's own limits.
    case tooManyConnections = "too-many-connections"
    case tooManySubscribers = "too-many-subscribers"
    case shuttingDown = "shutting-down"
    case auditUnavailable = "audit-unavailable"
    // Tokens, keys and signatures.
    case tokenNotFound = "token-not-found"
    case tokenRemoved = "token-removed"
    case tokenTimeout = "token-timeout"
    case tokenError = "token-error"
    case certificateNotFound = "certificate-not-found"
    case noPrivateKey = "no-private-key"
    case unknownMechanism = "unknown-mechanism"
    case mechanismUnsupported = "mechanism-unsupported"
    case registrationContext = "registration-context"
    case keyCertificateMismatch = "key-certificate-mismatch"
    case signingFailed = "signing-failed"
    // Remote signing services.
    case otpRequired = "otp-required"
    case approvalRefused = "approval-refused"
    case approvalTimedOut = "approval-timed-out"
    case remoteServiceUnavailable = "remote-service-unavailable"
    // PINs.
    case pinRequired = "pin-required"
    case pinIncorrect = "pin-incorrect"
    case pinFinalTry = "pin-final-try"
    case pinLocked = "pin-locked"
    case pinNotInitialized = "pin-not-initialized"
    // Registrations and bindings.
    case invalidField = "invalid-field"
    case invalidStatement = "invalid-statement"
    case certificateNotPresent = "certificate-not-present"
    case certificateExpired = "certificate-expired"
    case certificateNotYetValid = "certificate-not-yet-valid"
    case taxCodeMismatch = "tax-code-mismatch"
    case signatureInvalid = "signature-invalid"
    case statementNotIssued = "statement-not-issued"
    case statementAlreadyUsed = "statement-already-used"
    case duplicateBinding = "duplicate-binding"
    case notBound = "not-bound"
    case storeError = "store-error"
    // Binding rules (BindingRefusal.Code).
    case statementDoesNotMatchCertificate = "statement-does-not-match-certificate"
    case certificateHasNoTaxCode = "certificate-has-no-tax-code"
    case statementTimeInvalid = "statement-time-invalid"
    case unknownCA = "unknown-ca"
    case alreadyBound = "already-bound"
    case certificateBoundToOtherAccount = "certificate-bound-to-other-account"
    case userIdTaken = "user-id-taken"
    case accountMismatch = "account-mismatch"
    case sameCertificate = "same-certificate"
    // Sealed secrets.
    case secretNotStored = "secret-not-stored"
    case secretUnavailable = "secret-unavailable"
    case sealingFailed = "sealing-failed"
    case tokenSealingUnavailable = "token-sealing-unavailable"
    // Backup and restore.
    case backupUnreadable = "backup-unreadable"
    case restoreConflict = "restore-conflict"
}

extension ProblemDetails {
    /// The code as the enum knows it; nil for a code from a newer kysod.
    public var problemCode: ProblemCode? { ProblemCode(rawValue: code) }

    public init(status: Int, code: ProblemCode, title: String, detail: String? = nil) {
        self.init(status: status, code: code.rawValue, title: title, detail: detail)
    }
}
