public import Foundation
public import KysoCore

/// `POST /v1/registrations`: build a registration statement for a customs account and sign it on the token.
public struct RegistrationRequest: Codable, Sendable {
    public var role: AccountRole
    public var taxCode: String
    /// Declarant only: 8 letters or digits, the first 5 the unit code.
    public var userId: String?
    /// Declarant only: exactly 6 letters or digits.
    public var terminalId: String?
    /// A challenge from whoever will check the proof (base64); without it a fresh nonce is used.
    public var challenge: Data?
    /// The certificate to register, by SHA-256 (it must be on a present token with its key).
    public var certificate: String
    public var pin: SecretBytes?
    public var allowFinalTry: Bool?
    /// A one-time password, for a remote credential that asks for one.
    public var otp: SecretBytes?

    public init(role: AccountRole, taxCode: String, userId: String? = nil, terminalId: String? = nil, challenge: Data? = nil,
                certificate: String, pin: SecretBytes? = nil, allowFinalTry: Bool? = nil, otp: SecretBytes? = nil) {
        self.otp = otp
        self.role = role
        self.taxCode = taxCode
        self.userId = userId
        self.terminalId = terminalId
        self.challenge = challenge
        self.certificate = certificate
        self.pin = pin
        self.allowFinalTry = allowFinalTry
    }
}

/// The proof of possession: the canonical statement, its detached CMS signature made on the token, and the certificate.
public struct RegistrationResponse: Codable, Sendable, Equatable {
    /// The statement's canonical JSON bytes (base64): exactly what was signed.
    public var statement: Data
    /// The same statement as text, for people.
    public var statementText: String
    /// Detached CMS SignedData (base64 DER) over the registration context `kyso-registration-v1` and a NUL byte,
    /// followed by `statement`; never over the statement alone (see `RegistrationSigning`).
    public var signature: Data
    /// The signer's certificate (base64 DER).
    public var certificate: Data
    public var certificateSha256: String
    public var tokenId: String
    /// `unknown-ca` when the certificate's issuer is not a known licensed CA (only with `bindings.allowUnknownCAs`).
    public var warnings: [String]?

    public init(statement: Data, statementText: String, signature: Data, certificate: Data, certificateSha256: String, tokenId: String,
                warnings: [String]? = nil) {
        self.statement = statement
        self.statementText = statementText
        self.signature = signature
        self.certificate = certificate
        self.certificateSha256 = certificateSha256
        self.tokenId = tokenId
        self.warnings = warnings
    }
}

/// `POST /v1/bindings` and `PUT /v1/bindings/{account}` (rebind): a signed statement, and optionally the account's secrets.
public struct BindingCreateRequest: Codable, Sendable {
    public var statement: Data
    public var signature: Data
    /// Up to 16 letters or digits; stored encrypted, never listed.
    public var terminalAccessKey: SecretBytes?
    /// Up to 8 characters; stored encrypted, never listed.
    public var password: SecretBytes?
    /// Where the secrets are sealed: `auto` (the default: to the token when this request carries its PIN and the
    /// certificate's key can decrypt, else with the host key), `token` (to the token or not at all) or `host`.
    public var sealing: SealingMode?
    /// The token's PIN, used only to prove the token opens what was sealed to it; never stored or logged.
    public var pin: SecretBytes?
    public var allowFinalTry: Bool?

    public init(statement: Data, signature: Data, terminalAccessKey: SecretBytes? = nil, password: SecretBytes? = nil,
                sealing: SealingMode? = nil, pin: SecretBytes? = nil, allowFinalTry: Bool? = nil) {
        self.statement = statement
        self.signature = signature
        self.terminalAccessKey = terminalAccessKey
        self.password = password
        self.sealing = sealing
        self.pin = pin
        self.allowFinalTry = allowFinalTry
    }
}

/// `POST /v1/bindings/{account}/secrets/{kind}`: the PIN that opens a secret sealed to the token.
public struct SecretRevealRequest: Codable, Sendable {
    public var pin: SecretBytes?
    public var allowFinalTry: Bool?

    public init(pin: SecretBytes? = nil, allowFinalTry: Bool? = nil) {
        self.pin = pin
        self.allowFinalTry = allowFinalTry
    }
}

/// A customs account bound to a certificate.
public struct BindingInfo: Codable, Sendable, Equatable {
    /// The User ID of a declarant account, or the tax code of an admin account.
    public var account: String
    public var role: AccountRole
    public var taxCode: String
    public var userId: String?
    public var terminalId: String?
    public var certificate: BoundCertificateInfo
    public var createdAt: Date
    /// Which secrets are stored (`terminalAccessKey`, `password`); never their values.
    public var secrets: [String]
    /// Those of `secrets` sealed to the token: revealing them needs the token plugged in and its PIN.
    public var sealedToToken: [String]
    /// Whether the bound certificate is on a token that is plugged in now.
    public var certificatePresent: Bool
    /// `unknown-ca` when the certificate's issuer is not a known licensed CA (bound with `bindings.allowUnknownCAs`).
    public var warnings: [String]?

    public init(account: String, role: AccountRole, taxCode: String, userId: String?, terminalId: String?,
                certificate: BoundCertificateInfo, createdAt: Date, secrets: [String], sealedToToken: [String] = [],
                certificatePresent: Bool, warnings: [String]? = nil) {
        self.warnings = warnings
        self.account = account
        self.role = role
        self.taxCode = taxCode
        self.userId = userId
        self.terminalId = terminalId
        self.certificate = certificate
        self.createdAt = createdAt
        self.secrets = secrets
        self.sealedToToken = sealedToToken
        self.certificatePresent = certificatePresent
    }
}

public struct BoundCertificateInfo: Codable, Sendable, Equatable {
    public var sha256: String
    public var serialNumber: String
    public var issuer: String
    public var provider: String
    public var taxCode: String
    public var notBefore: Date
    public var notAfter: Date

    public init(sha256: String, serialNumber: String, issuer: String, provider: String, taxCode: String, notBefore: Date, notAfter: Date) {
        self.sha256 = sha256
        self.serialNumber = serialNumber
        self.issuer = issuer
        self.provider = provider
        self.taxCode = taxCode
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

public struct BindingListResponse: Codable, Sendable, Equatable {
    public var bindings: [BindingInfo]
    public init(bindings: [BindingInfo]) { self.bindings = bindings }
}

/// An account a certificate serves, as shown on tokens.
public struct AccountSummary: Codable, Sendable, Equatable {
    public var account: String
    public var role: AccountRole
    public var userId: String?
    public var terminalId: String?

    public init(account: String, role: AccountRole, userId: String?, terminalId: String?) {
        self.account = account
        self.role = role
        self.userId = userId
        self.terminalId = terminalId
    }
}

/// `GET /v1/bindings/{account}/secrets/{kind}` (admin only).
public struct SecretResponse: Codable, Sendable, Equatable {
    public var account: String
    public var kind: SecretKind
    public var value: SecretBytes
    public init(account: String, kind: SecretKind, value: SecretBytes) {
        self.account = account
        self.kind = kind
        self.value = value
    }
}

/// `GET /v1/audit` (admin only): newest first.
public struct AuditResponse: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: Int64?
        public var time: Date
        public var uid: UInt32?
        public var pid: Int32?
        public var executable: String?
        public var action: String
        public var tokenId: String?
        public var certificateSha256: String?
        public var mechanism: String?
        public var dataSha256: String?
        public var outcome: String
        public var detail: String?

        public init(id: Int64?, time: Date, uid: UInt32?, pid: Int32?, executable: String?, action: String, tokenId: String?,
                    certificateSha256: String?, mechanism: String?, dataSha256: String?, outcome: String, detail: String?) {
            self.id = id
            self.time = time
            self.uid = uid
            self.pid = pid
            self.executable = executable
            self.action = action
            self.tokenId = tokenId
            self.certificateSha256 = certificateSha256
            self.mechanism = mechanism
            self.dataSha256 = dataSha256
            self.outcome = outcome
            self.detail = detail
        }
    }
    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }
}
