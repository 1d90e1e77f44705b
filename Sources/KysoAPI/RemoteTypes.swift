public import Foundation
public import KysoCore

// Remote signing credentials (CSC API services) as the API shows them: tokens of kind `remote`, and the state of
// each configured service in `GET /v1/status`.

/// Where a token's keys live.
public enum TokenKind: String, Codable, Sendable, CaseIterable {
    /// A PKCS#11 token: a USB token, a smartcard, an HSM slot.
    case pkcs11
    /// A credential of a remote signing service (CSC API): the key stays with the service.
    case remote
}

/// How the holder of a remote credential authorises a signature; a credential may need several.
public enum RemoteAuthorisation: String, Codable, Sendable, CaseIterable {
    /// The credential's PIN, sent to the service with the request.
    case pin
    /// A one-time password (sent by the service by SMS or an app: `POST /v1/tokens/{id}/otp` asks for one).
    case otp
    /// The holder approves each signature on their phone (the service's app); kysod waits for it.
    case approval
}

/// What a token of kind `remote` adds: the service and how a signature is authorised.
public struct RemoteCredentialDetails: Codable, Sendable, Equatable {
    /// The service's name in kysod's configuration (`remoteServices`).
    public var service: String
    /// Who runs it (`Viettel MySign`, `VNPT SmartCA`), from the configuration, else the service's own name.
    public var provider: String
    /// The credential's id at the service.
    public var credentialId: String
    /// Every step a signature needs, in order.
    public var authorisation: [RemoteAuthorisation]
    /// The certificate's chain as the service gave it, issuing CA first (DER, base64); the end entity is in
    /// `certificates`.
    public var chain: [Data]

    public init(service: String, provider: String, credentialId: String, authorisation: [RemoteAuthorisation], chain: [Data]) {
        self.service = service
        self.provider = provider
        self.credentialId = credentialId
        self.authorisation = authorisation
        self.chain = chain
    }
}

/// A remote signing service's state, as kysod last found it.
public enum RemoteServiceState: String, Codable, Sendable, CaseIterable {
    /// Not yet asked since kysod started.
    case starting
    /// Logged in and listed its credentials.
    case available
    /// Did not answer (no network, DNS, TLS refused, timeout): its credentials are not shown.
    case unreachable
    /// Refused kysod's login (wrong client secret or password): its credentials are not shown.
    case loginRejected = "login-rejected"
    /// A secret the login needs was never set (`kyso remote secret`).
    case secretMissing = "secret-missing"
    /// Answered, but not as the CSC API says (a wrong URL or method path, say).
    case failing
}

/// One configured remote signing service in `GET /v1/status`.
public struct RemoteServiceStatus: Codable, Sendable, Equatable {
    public var name: String
    public var provider: String
    public var baseURL: String
    public var state: RemoteServiceState
    /// Why it is not available, in plain words; absent while available.
    public var error: String?
    public var credentialCount: Int
    /// When kysod last asked the service.
    public var checkedAt: Date?

    public init(name: String, provider: String, baseURL: String, state: RemoteServiceState, error: String?, credentialCount: Int,
                checkedAt: Date?) {
        self.name = name
        self.provider = provider
        self.baseURL = baseURL
        self.state = state
        self.error = error
        self.credentialCount = credentialCount
        self.checkedAt = checkedAt
    }
}

/// The secrets a remote service's login may need, stored sealed by kysod.
public enum RemoteSecretKind: String, Codable, Sendable, CaseIterable {
    /// The OAuth2 client secret (`login: clientCredentials` or `password`).
    case clientSecret = "client-secret"
    /// The holder's service password (`login: basic` or `password`).
    case password
}

/// `PUT /v1/remote-services/{name}/secrets/{kind}` (admin): the value travels in this body only.
public struct RemoteSecretRequest: Codable, Sendable {
    public var value: SecretBytes
    public init(value: SecretBytes) { self.value = value }
}

/// `GET /v1/remote-services/{name}/secrets/{kind}` (admin, audited).
public struct RemoteSecretResponse: Codable, Sendable {
    public var service: String
    public var kind: RemoteSecretKind
    public var value: String
    public var updatedAt: Date
    public init(service: String, kind: RemoteSecretKind, value: String, updatedAt: Date) {
        self.service = service
        self.kind = kind
        self.value = value
        self.updatedAt = updatedAt
    }
}
