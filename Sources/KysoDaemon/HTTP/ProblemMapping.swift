import KysoAPI
import KysoCore

/// The one place a failure becomes an HTTP answer: its status and title come from its code.
extension ProblemDetails {
    init(_ failure: OperationFailure) {
        if let refusal = failure.refusal {
            let conflict: Set<BindingRefusal.Code> = [.alreadyBound, .certificateBoundToOtherAccount, .userIdTaken]
            self.init(status: conflict.contains(refusal.code) ? 409 : 422, code: failure.code, title: "Binding refused", detail: failure.detail)
            return
        }
        let (status, title) = Self.statusAndTitle(failure.code)
        self.init(status: status, code: failure.code, title: title, detail: failure.detail)
    }

    static func statusAndTitle(_ code: ProblemCode) -> (Int, String) {
        switch code {
        case .badRequest: (400, "Bad request")
        case .bodyTooLarge: (413, "Request body too large")
        case .forbidden: (403, "Not allowed")
        case .methodNotAllowed: (405, "Method not allowed")
        case .notFound: (404, "Not found")
        case .internalError: (500, "Response could not be encoded")
        case .tooManyConnections: (503, "Too many connections")
        case .tooManySubscribers: (503, "Too many event subscribers")
        case .shuttingDown: (503, "kysod is shutting down")
        case .auditUnavailable: (503, "The audit record could not be written")
        case .tokenNotFound: (404, "No such token")
        case .tokenRemoved: (410, "The token was removed")
        case .tokenTimeout: (504, "The token did not answer in time")
        case .tokenError: (502, "The token reported an error")
        case .certificateNotFound: (404, "No such certificate on the token")
        case .noPrivateKey: (409, "The certificate's key is not on this token")
        case .unknownMechanism: (400, "Unknown mechanism")
        case .mechanismUnsupported: (400, "The token does not support this mechanism")
        case .registrationContext: (400, "Data reserved for registration proofs")
        case .keyCertificateMismatch: (500, "The token's key does not match its certificate")
        case .signingFailed: (500, "The signature could not be built")
        case .otpRequired: (401, "One-time password required")
        case .approvalRefused: (403, "The holder refused the signature")
        case .approvalTimedOut: (504, "The holder did not approve the signature in time")
        case .remoteServiceUnavailable: (502, "The remote signing service is unavailable")
        case .pinRequired: (401, "PIN required")
        case .pinIncorrect: (401, "Wrong PIN")
        case .pinFinalTry: (409, "One PIN try left")
        case .pinLocked: (423, "PIN locked")
        case .pinNotInitialized: (409, "PIN not initialised")
        case .invalidField: (422, "Invalid account field")
        case .invalidStatement: (422, "Invalid registration statement")
        case .certificateNotPresent: (404, "Certificate not on any present token")
        case .certificateExpired, .certificateNotYetValid: (422, "Certificate not valid now")
        case .taxCodeMismatch: (422, "Tax code does not match")
        case .signatureInvalid: (422, "The signature does not verify")
        case .statementNotIssued: (422, "Not a statement this kysod issued")
        case .statementAlreadyUsed: (409, "Statement already bound once")
        case .duplicateBinding: (409, "Already bound")
        case .notBound: (404, "No such binding")
        case .storeError: (500, "The binding store failed")
        case .statementDoesNotMatchCertificate, .certificateHasNoTaxCode, .statementTimeInvalid, .unknownCA, .accountMismatch,
             .sameCertificate:
            (422, "Binding refused")
        case .alreadyBound, .certificateBoundToOtherAccount, .userIdTaken: (409, "Binding refused")
        case .secretNotStored: (404, "No such secret")
        case .secretUnavailable: (500, "The secret could not be opened")
        case .sealingFailed: (500, "The secret could not be sealed")
        case .tokenSealingUnavailable: (422, "The secret cannot be sealed to this token")
        }
    }
}
