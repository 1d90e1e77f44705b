/// How a credential's holder authorises a signature, read from either version of credentials/info.
public struct CSCAuthorisation: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable {
        /// The service authorises by itself (its login is enough, or it asks the holder on its own channel).
        case implicit
        /// credentials/authorize with a PIN and/or OTP.
        case explicit
        /// An OAuth2 authorisation code with scope `credential`: needs the holder in a browser, not supported here.
        case oauth2code
        case unknown
    }

    public enum Presence: String, Sendable, Hashable, Codable {
        case required, optional, absent
    }

    public var mode: Mode
    public var pin: Presence
    public var otp: Presence
    /// v1 `OTP.type`: `online` (the service sends it: credentials/sendOTP first) or `offline` (the holder's device).
    public var otpIsOnline: Bool
    public var pinLabel: String?
    public var otpLabel: String?

    public init(_ info: CSCCredentialInfo) {
        if let auth = info.auth {  // v2
            mode = Mode(rawValue: auth.mode) ?? .unknown
            let objects = auth.objects ?? []
            let pinObject = objects.first { $0.type == "Password" || $0.id == "PIN" }
            let otpObject = objects.first { $0.type == "OTP" || $0.id == "OTP" }
            pin = pinObject == nil ? .absent : .required
            otp = otpObject == nil ? .absent : .required
            otpIsOnline = otpObject != nil  // v2 names no type here; an OTP Kyso cannot read is the service's to send
            pinLabel = pinObject?.label
            otpLabel = otpObject?.label
        } else {
            mode = Mode(rawValue: info.authMode ?? "") ?? .unknown
            pin = Self.presence(info.PIN?.presence)
            otp = Self.presence(info.OTP?.presence)
            otpIsOnline = info.OTP?.type == "online"
            pinLabel = info.PIN?.label
            otpLabel = info.OTP?.label
        }
    }

    private static func presence(_ text: String?) -> Presence {
        switch text {
        case "true": .required
        case "optional": .optional
        default: .absent
        }
    }
}
