public import KysoAPI
public import KysoCore
public import KysoStore
public import KysoText

/// Why a service could not do what it was asked: a stable code and, for people, what happened. Services speak
/// in failures; only the HTTP edge (`ProblemDetails(_:)`) turns them into statuses and titles.
public struct OperationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ProblemCode
    public let detail: String?
    /// Set when a binding rule refused: the answer then reads "Binding refused" whatever the code.
    public let refusal: BindingRefusal?
    /// `detail` as a catalog message, for answers in another language (Accept-Language); without one, such an
    /// answer carries the code's own text from the catalog (`problem.detail.<code>`). `detail` stays English, the
    /// API's default and what logs and the audit keep.
    public let message: Message?

    public init(_ code: ProblemCode, _ detail: String? = nil) {
        self.code = code
        self.detail = detail
        refusal = nil
        message = nil
    }

    /// A failure whose detail is a catalog message: English in `detail`, any language at the HTTP edge.
    public init(_ code: ProblemCode, _ message: Message) {
        self.init(code, detail: Messages.forLanguage(.en)(message), message: message)
    }

    /// A failure with its English detail written here and the message for other languages beside it (when the
    /// English names more than the catalog text does).
    public init(_ code: ProblemCode, detail: String?, message: Message?) {
        self.code = code
        self.detail = detail
        refusal = nil
        self.message = message
    }

    public init(refusal: BindingRefusal) {
        // Every BindingRefusal.Code is a ProblemCode (FailureMappingTests checks the two stay in step).
        code = ProblemCode(rawValue: refusal.code.rawValue) ?? .badRequest
        detail = refusal.reason
        self.refusal = refusal
        message = nil
    }

    /// Failures are the same when their code, detail and refusal are: the message is the detail in other words.
    public static func == (lhs: OperationFailure, rhs: OperationFailure) -> Bool {
        lhs.code == rhs.code && lhs.detail == rhs.detail && lhs.refusal == rhs.refusal
    }

    public var description: String { detail.map { "\(code.rawValue): \($0)" } ?? code.rawValue }

    /// How the audit log records an operation that ended so: `failed` when the token, kysod or the PIN failed it,
    /// `refused` when the request was not allowed or not valid.
    public var auditOutcome: AuditOutcome {
        switch code {
        case .pinRequired, .pinIncorrect, .tokenRemoved, .tokenTimeout, .tokenError, .keyCertificateMismatch, .signingFailed,
             .internalError, .storeError, .auditUnavailable, .shuttingDown, .tooManyConnections, .tooManySubscribers,
             .sealingFailed, .secretUnavailable, .otpRequired, .approvalTimedOut, .remoteServiceUnavailable:
            .failed
        default:
            .refused
        }
    }

    public static func badRequest(_ detail: String) -> OperationFailure { OperationFailure(.badRequest, detail) }
}

extension Result where Failure == OperationFailure {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
    var failureCode: ProblemCode? { if case .failure(let failure) = self { return failure.code } else { return nil } }
}
