/// Why a remote signing call failed, in the specification's terms where the service gave one.
///
/// CSC services answer errors as `{"error", "error_description"}`; several distinct conditions share the code
/// `invalid_request` and differ only in the description the specification's error table fixes ("SAD expired",
/// "PIN locked", …), so those descriptions are matched too.
public enum CSCError: Error, Sendable, Hashable {
    /// `invalid_pin`: the service refused the PIN; the count is given only by services that say it.
    case invalidPIN(remainingAttempts: Int?)
    /// `invalid_otp`: the service refused the OTP.
    case invalidOTP(remainingAttempts: Int?)
    case pinLocked
    case otpLocked
    /// The SAD's lifetime ended before `signatures/signHash`: authorise again.
    case sadExpired
    /// The SAD is unknown, used up or for another credential.
    case sadInvalid
    case hashNotAuthorized
    case credentialUnknown
    case credentialDisabled
    /// Any other `invalid_request`, with the service's description.
    case invalidRequest(String)
    /// `invalid_token` or `expired_token`: the service access token is no longer accepted.
    case accessTokenRejected(String)
    /// The service login itself failed (wrong user, password, client id or secret).
    case loginRejected(String)
    /// `access_denied`: the holder refused, or did not approve in the service's own time.
    case accessDenied(String)
    /// Kyso's own deadline for the holder's approval passed; the request may still be pending at the service.
    case approvalTimedOut
    /// The service does not implement what was asked (a method, an authorisation mode).
    case unsupported(String)
    /// Any other error answer.
    case serviceError(status: Int, code: String, description: String)
    /// No answer within the configured timeout.
    case timedOut(method: String)
    /// The service could not be reached (refused, reset, name not resolved).
    case unreachable(method: String, reason: String)
    /// The TLS handshake failed: most often a certificate the trust store does not accept.
    case tlsFailure(method: String, reason: String)
    /// The answer was not what the specification says (not JSON, a member missing, a certificate unreadable).
    case malformedResponse(method: String, reason: String)
    /// A PIN or OTP is sent once; this one was already.
    case secretAlreadyUsed
    case cancelled
}

/// An error answer's body.
struct CSCErrorBody: Decodable, Sendable {
    var error: String
    var errorDescription: String?
    /// Not in the specification: the Kyso test service adds it to `invalid_pin`/`invalid_otp`, as some services do
    /// in their own words.
    var remainingAttempts: Int?

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
        case remainingAttempts
    }

    /// True for the answer a v2 service gives while an asynchronous signature waits (HTTP 400, the wording of the
    /// specification's signPolling table: "… accepted for processing, but the processing has not yet been completed").
    var isPending: Bool {
        (errorDescription ?? "").lowercased().contains("not yet been completed")
    }
}

extension CSCError {
    /// The error for an answer with HTTP `status` and, when it parsed, the error body.
    static func from(status: Int, body: CSCErrorBody?, method: String) -> CSCError {
        guard let body else {
            if status == 404 || status == 501 { return .unsupported(method) }
            return .serviceError(status: status, code: "", description: "HTTP \(status) without an error body")
        }
        let description = body.errorDescription ?? ""
        let lowered = description.lowercased()
        switch body.error {
        case "invalid_pin": return .invalidPIN(remainingAttempts: body.remainingAttempts)
        case "invalid_otp": return .invalidOTP(remainingAttempts: body.remainingAttempts)
        case "invalid_token", "expired_token": return .accessTokenRejected(description)
        case "authentication_error", "invalid_client", "invalid_grant", "unauthorized_client",
            "unsupported_grant_type":
            return .loginRejected(description.isEmpty ? body.error : description)
        case "access_denied": return .accessDenied(description)
        case "not_implemented_method": return .unsupported(method)
        case "invalid_request":
            if lowered.contains("sad expired") { return .sadExpired }
            if lowered.contains("pin locked") { return .pinLocked }
            if lowered.contains("otp locked") { return .otpLocked }
            if lowered.contains("not authorized by the sad") { return .hashNotAuthorized }
            if lowered.hasSuffix("parameter sad") { return .sadInvalid }
            if lowered.hasSuffix("parameter credentialid") { return .credentialUnknown }
            if lowered.contains("is disabled") { return .credentialDisabled }
            return .invalidRequest(description)
        default:
            return .serviceError(status: status, code: body.error, description: description)
        }
    }
}
