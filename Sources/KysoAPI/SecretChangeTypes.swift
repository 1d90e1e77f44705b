public import KysoCore

/// `PUT /v1/bindings/{account}/secrets/{kind}`: set or replace one secret of a bound declarant account, sealed as a
/// binding's secrets are (issue 13: a password change needed an unbind and a bind).
public struct SecretStoreRequest: Codable, Sendable {
    /// The terminal access key (up to 16 letters or digits) or the VNACCS password (up to 8 characters).
    public var value: SecretBytes
    /// As in `BindingCreateRequest`: `auto` (the default), `token` or `host`.
    public var sealing: SealingMode?
    /// The token's PIN, used only to prove that the token opens what was sealed to it; never stored or logged.
    public var pin: SecretBytes?
    public var allowFinalTry: Bool?

    public init(value: SecretBytes, sealing: SealingMode? = nil, pin: SecretBytes? = nil, allowFinalTry: Bool? = nil) {
        self.value = value
        self.sealing = sealing
        self.pin = pin
        self.allowFinalTry = allowFinalTry
    }

    enum CodingKeys: String, CodingKey { case value, sealing, pin, allowFinalTry }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let value = try container.decode(SecretBytes.self, forKey: .value)
        let pin = try container.decodeIfPresent(SecretBytes.self, forKey: .pin)
        let allowFinalTry = try container.decodeIfPresent(Bool.self, forKey: .allowFinalTry)
        // Last, so a missing value is reported as a malformed request first (as for bindings).
        let sealing = try container.decodeWireEnum(SealingMode.self, forKey: .sealing)
        self.init(value: value, sealing: sealing, pin: pin, allowFinalTry: allowFinalTry)
    }
}
