public import Foundation
public import KysoCore

// The JSON of the socket API (version 1). camelCase keys, RFC 3339 times, lowercase hex fingerprints and ids.
// openapi.yaml beside this file describes the same shapes; APIContractTests keep the two in step.

/// `GET /v1/status`.
public struct StatusResponse: Codable, Sendable, Equatable {
    public var version: String
    public var startedAt: Date
    public var uptimeSeconds: Double
    public var pcsc: PCSCStatus
    public var modules: [ModuleStatus]
    public var tokenCount: Int
    public var audit: AuditStatus
    /// The configured remote signing services (absent when none is configured).
    public var remoteServices: [RemoteServiceStatus]?

    public init(version: String, startedAt: Date, uptimeSeconds: Double, pcsc: PCSCStatus, modules: [ModuleStatus], tokenCount: Int,
                audit: AuditStatus = AuditStatus(pruned: []), remoteServices: [RemoteServiceStatus]? = nil) {
        self.remoteServices = remoteServices
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.pcsc = pcsc
        self.modules = modules
        self.tokenCount = tokenCount
        self.audit = audit
    }
}

/// What the audit log's retention has removed: pruning is never silent.
public struct AuditStatus: Codable, Sendable, Equatable {
    /// By category (`admin`, `operation`, `refusal`), since the database was made; a category never pruned is absent.
    public var pruned: [AuditPruningStatus]

    public init(pruned: [AuditPruningStatus]) { self.pruned = pruned }
}

public struct AuditPruningStatus: Codable, Sendable, Equatable {
    public var category: String
    public var records: Int
    public var lastPrunedAt: Date

    public init(category: String, records: Int, lastPrunedAt: Date) {
        self.category = category
        self.records = records
        self.lastPrunedAt = lastPrunedAt
    }
}

public struct PCSCStatus: Codable, Sendable, Equatable {
    public var state: PCSCState
    public var error: String?
    public var hint: String?
    public var readers: [ReaderInfo]

    public init(state: PCSCState, error: String? = nil, hint: String? = nil, readers: [ReaderInfo]) {
        self.state = state
        self.error = error
        self.hint = hint
        self.readers = readers
    }
}

public struct ReaderInfo: Codable, Sendable, Equatable {
    public var name: String
    public var cardPresent: Bool
    /// Lowercase hex; absent without a card.
    public var atr: String?
    public var state: [String]

    public init(name: String, cardPresent: Bool, atr: String?, state: [String]) {
        self.name = name
        self.cardPresent = cardPresent
        self.atr = atr
        self.state = state
    }
}

public struct ModuleStatus: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var state: ModuleState
    /// Why the module is failed or stuck; absent while loaded.
    public var error: String?
    public var watch: ModuleWatch
    public var tokenCount: Int
    /// When the module became failed, or when the call it is stuck in began; absent while loaded.
    public var since: Date?
    /// The PKCS#11 call that has not returned (`C_GetSlotList`, `C_GetTokenInfo`, …); only while stuck.
    public var pendingCall: String?
    public var isolation: ModuleIsolation?
    /// The module host, for an isolated module.
    public var host: ModuleHostStatus?

    public init(name: String, path: String, state: ModuleState, error: String?, watch: ModuleWatch, tokenCount: Int,
                since: Date? = nil, pendingCall: String? = nil, isolation: ModuleIsolation? = nil, host: ModuleHostStatus? = nil) {
        self.isolation = isolation
        self.host = host
        self.name = name
        self.path = path
        self.state = state
        self.error = error
        self.watch = watch
        self.tokenCount = tokenCount
        self.since = since
        self.pendingCall = pendingCall
    }
}

/// The process an isolated module runs in.
public struct ModuleHostStatus: Codable, Sendable, Equatable {
    /// The host's process id while it serves the module.
    public var pid: Int32?
    /// Hosts started after the first one (after crashes, calls past their deadline, or failed starts).
    public var restarts: Int
    /// Hosts that ended on their own (abort, segfault, exit) rather than killed by kysod.
    public var crashes: Int
    /// How the previous host ended.
    public var lastExit: String?

    public init(pid: Int32?, restarts: Int, crashes: Int, lastExit: String?) {
        self.pid = pid
        self.restarts = restarts
        self.crashes = crashes
        self.lastExit = lastExit
    }
}

/// A token in `GET /v1/tokens` and in events.
public struct TokenInfoResponse: Codable, Sendable, Equatable {
    /// Stable across re-insertions: derived from module, manufacturer, model and serial number.
    public var id: String
    public var uri: String
    public var module: String
    public var slot: UInt
    public var label: String
    public var manufacturer: String
    public var model: String
    public var serialNumber: String
    public var flags: [String]
    public var pin: PINStatus
    public var pinWords: String
    public var insertedAt: Date
    public var certificates: [TokenCertificate]
    /// `pkcs11` or `remote` (absent from kysod before remote signing: read as `pkcs11`).
    public var kind: TokenKind?
    /// For a remote credential: its service, provider and authorisation.
    public var remote: RemoteCredentialDetails?

    public init(
        id: String, uri: String, module: String, slot: UInt, label: String, manufacturer: String, model: String,
        serialNumber: String, flags: [String], pin: PINStatus, pinWords: String, insertedAt: Date,
        certificates: [TokenCertificate], kind: TokenKind = .pkcs11, remote: RemoteCredentialDetails? = nil
    ) {
        self.kind = kind
        self.remote = remote
        self.id = id
        self.uri = uri
        self.module = module
        self.slot = slot
        self.label = label
        self.manufacturer = manufacturer
        self.model = model
        self.serialNumber = serialNumber
        self.flags = flags
        self.pin = pin
        self.pinWords = pinWords
        self.insertedAt = insertedAt
        self.certificates = certificates
    }
}

/// A certificate object on a token.
public struct TokenCertificate: Codable, Sendable, Equatable {
    /// SHA-256 of the DER, lowercase hex: the certificate's id in the API.
    public var sha256: String
    public var label: String
    /// `CKA_ID`, lowercase hex. Two certificates may share one; both are listed.
    public var objectId: String
    public var uri: String
    public var privateKeyOnToken: Bool
    public var keyEvidence: String
    public var privateKeyUri: String?
    /// The certificate itself, base64 DER.
    public var der: Data
    public var profile: CertificateProfile
    /// The customs accounts this certificate serves (a declarant account bound to it, or its tax code's admin account).
    public var accounts: [AccountSummary]?

    public init(
        sha256: String, label: String, objectId: String, uri: String, privateKeyOnToken: Bool, keyEvidence: String,
        privateKeyUri: String?, der: Data, profile: CertificateProfile
    ) {
        self.sha256 = sha256
        self.label = label
        self.objectId = objectId
        self.uri = uri
        self.privateKeyOnToken = privateKeyOnToken
        self.keyEvidence = keyEvidence
        self.privateKeyUri = privateKeyUri
        self.der = der
        self.profile = profile
    }
}

/// `GET /v1/tokens`.
public struct TokenListResponse: Codable, Sendable, Equatable {
    public var tokens: [TokenInfoResponse]
    public init(tokens: [TokenInfoResponse]) { self.tokens = tokens }
}

/// `GET /v1/certificates/{sha256}`: one certificate and every token it is on.
public struct CertificateResponse: Codable, Sendable, Equatable {
    public struct Location: Codable, Sendable, Equatable {
        public var tokenId: String
        public var tokenLabel: String
        public var objectId: String
        public var uri: String
        public var privateKeyOnToken: Bool
        public init(tokenId: String, tokenLabel: String, objectId: String, uri: String, privateKeyOnToken: Bool) {
            self.tokenId = tokenId
            self.tokenLabel = tokenLabel
            self.objectId = objectId
            self.uri = uri
            self.privateKeyOnToken = privateKeyOnToken
        }
    }
    public var sha256: String
    public var der: Data
    public var profile: CertificateProfile
    public var locations: [Location]

    public init(sha256: String, der: Data, profile: CertificateProfile, locations: [Location]) {
        self.sha256 = sha256
        self.der = der
        self.profile = profile
        self.locations = locations
    }
}

/// RFC 9457 problem details (`application/problem+json`), with a stable `code`.
public struct ProblemDetails: Codable, Sendable, Equatable, Error {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var code: String

    public init(status: Int, code: String, title: String, detail: String? = nil) {
        self.type = "urn:kyso:problem:\(code)"
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
    }
}

/// The JSON coders every side of the API uses.
public enum APIJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.dataEncodingStrategy = .base64
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.dataDecodingStrategy = .base64
        return decoder
    }
}
