public import KysoAPI
public import KysoCore

/// A request to register a customs account's certificate: the fields as the person gave them (validated by
/// `AccountFields`), and the key's authorization.
public struct RegistrationOrder: Sendable {
    public var role: AccountRole
    public var taxCode: String
    public var userId: String?
    public var terminalId: String?
    /// A challenge from whoever will check the proof; nil for a fresh nonce.
    public var challenge: [UInt8]?
    /// The certificate to register (SHA-256).
    public var certificate: String
    public var authorization: KeyAuthorization

    public init(role: AccountRole, taxCode: String, userId: String?, terminalId: String?, challenge: [UInt8]?, certificate: String,
                authorization: KeyAuthorization) {
        self.role = role
        self.taxCode = taxCode
        self.userId = userId
        self.terminalId = terminalId
        self.challenge = challenge
        self.certificate = certificate.lowercased()
        self.authorization = authorization
    }
}

/// A request to bind (or rebind) an account: the signed statement, the secrets to keep, where to seal them, and
/// the authorization of the key that seals them to the token.
public struct BindingOrder: Sendable {
    public var statement: [UInt8]
    public var signature: [UInt8]
    public var terminalAccessKey: SecretBytes?
    public var password: SecretBytes?
    public var sealing: SealingMode
    public var authorization: KeyAuthorization

    public init(statement: [UInt8], signature: [UInt8], terminalAccessKey: SecretBytes?, password: SecretBytes?, sealing: SealingMode,
                authorization: KeyAuthorization) {
        self.statement = statement
        self.signature = signature
        self.terminalAccessKey = terminalAccessKey
        self.password = password
        self.sealing = sealing
        self.authorization = authorization
    }
}
