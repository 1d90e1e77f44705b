import KysoAPI
import KysoCore
import KysoText

/// The one place a failure becomes an HTTP answer: its status and title come from its code; its title and detail
/// are in the language the request asked for (ResponseLanguage, from Accept-Language; English by default), from
/// the catalog. The code, status and field names are the same in every language.
extension ProblemDetails {
    init(_ failure: OperationFailure, text: Messages = ResponseLanguage.text) {
        let detail = Self.detail(failure, text)
        if let refusal = failure.refusal {
            let conflict: Set<BindingRefusal.Code> = [.alreadyBound, .certificateBoundToOtherAccount, .userIdTaken]
            self.init(status: conflict.contains(refusal.code) ? 409 : 422, code: failure.code, title: text("problem.title.bindingRefused"),
                      detail: detail)
            return
        }
        let status = Self.status(failure.code)
        self.init(status: status, code: failure.code, title: text("problem.title.\(failure.code.rawValue)"), detail: detail)
    }

    /// English: the failure's own detail. Another language: its message, else the code's catalog text.
    private static func detail(_ failure: OperationFailure, _ text: Messages) -> String? {
        guard text.language != .en, let english = failure.detail else { return failure.detail }
        if let message = failure.message { return text(message) }
        return text.template("problem.detail.\(failure.code.rawValue)") ?? english
    }

    /// The status and English title of `code` (titles are catalog texts, `problem.title.<code>`).
    static func statusAndTitle(_ code: ProblemCode) -> (Int, String) {
        (status(code), Messages.forLanguage(.en)("problem.title.\(code.rawValue)"))
    }

    static func status(_ code: ProblemCode) -> Int {
        switch code {
        case .badRequest: 400
        case .bodyTooLarge: 413
        case .forbidden: 403
        case .methodNotAllowed: 405
        case .notFound: 404
        case .internalError: 500
        case .tooManyConnections: 503
        case .tooManySubscribers: 503
        case .shuttingDown: 503
        case .auditUnavailable: 503
        case .tokenNotFound: 404
        case .tokenRemoved: 410
        case .tokenTimeout: 504
        case .tokenError: 502
        case .certificateNotFound: 404
        case .noPrivateKey: 409
        case .unknownMechanism: 400
        case .mechanismUnsupported: 400
        case .registrationContext: 400
        case .keyCertificateMismatch: 500
        case .signingFailed: 500
        case .otpRequired: 401
        case .approvalRefused: 403
        case .approvalTimedOut: 504
        case .remoteServiceUnavailable: 502
        case .pinRequired: 401
        case .pinIncorrect: 401
        case .pinFinalTry: 409
        case .pinLocked: 423
        case .pinNotInitialized: 409
        case .invalidField: 422
        case .invalidStatement: 422
        case .certificateNotPresent: 404
        case .certificateExpired, .certificateNotYetValid: 422
        case .taxCodeMismatch: 422
        case .signatureInvalid: 422
        case .statementNotIssued: 422
        case .statementAlreadyUsed: 409
        case .duplicateBinding: 409
        case .notBound: 404
        case .storeError: 500
        case .statementDoesNotMatchCertificate, .certificateHasNoTaxCode, .statementTimeInvalid, .unknownCA, .accountMismatch,
             .sameCertificate:
            422
        case .alreadyBound, .certificateBoundToOtherAccount, .userIdTaken: 409
        case .secretNotStored: 404
        case .secretUnavailable: 500
        case .sealingFailed: 500
        case .tokenSealingUnavailable: 422
        case .backupUnreadable: 422
        case .restoreConflict: 409
        }
    }
}
