public import KysoAPI
public import KysoCore
public import KysoStore

/// Why a service could not do what it was asked: a stable code and, for people, what happened. Services speak
/// in failures; only the HTTP edge (`ProblemDetails(_:)`) turns them into statuses and titles.
public struct OperationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ProblemCode
    public let detail: String?
    /// Set when a binding rule refused: the answer then reads "Binding refused" whatever the code.
    public let refusal: BindingRefusal?

    public init(_ code: ProblemCode, _ detail: String? = nil) {
        self.code = code
        self.detail = detail
        refusal = nil
    }

    public init(refusal: BindingRefusal) {
        // Every BindingRefusal.Code is a ProblemCode (FailureMappingTests checks the two stay in step).
        code = ProblemCode(rawValue: refusal.code.rawValue) ?? .badRequest
        detail = refusal.reason
        self.refusal = refusal
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
