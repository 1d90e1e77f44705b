import Foundation
import KysoAPI
public import KysoRemote

extension DaemonConfiguration {
    /// One remote signing service (CSC API) under `remoteServices.<name>`. Secrets (client secret, the holder's
    /// service password) are never in this file: an administrator sets them with `kyso remote secret`, and kysod keeps
    /// them sealed in its state directory.
    public struct RemoteService: Codable, Sendable, Equatable {
        /// The API root the method names are appended to: `https://host/csc/v1`, `https://host/…/ras/csc/v1`.
        public var baseURL: String?
        /// `1` (v1.0.4) or `2` (v2.0).
        public var version: String?
        /// Who runs it, as people know it (`Viettel MySign`); default: the service's name.
        public var provider: String?
        /// `basic` (auth/login with the holder's user and password), `clientCredentials` or `password` (OAuth2).
        public var login: String?
        public var clientId: String?
        /// The holder's login at the service (`basic`, `password`).
        public var username: String?
        /// The holder's user id for credentials/list, when the login is not the holder's own (`clientCredentials`).
        public var userId: String?
        /// Where the login call goes when not baseURL + `/auth/login` or `/oauth2/token`.
        public var loginURL: String?
        /// A PEM file of CAs trusted beside the system store (a private CA).
        public var caFile: String?
        /// Paths for methods a gateway names differently, relative to baseURL: `{"signatures/signHash": "signature/signhash"}`.
        public var methodPaths: [String: String]?
        /// The holder approves each signature on their phone (VNPT SmartCA's way).
        public var holderApproves: Bool?
        /// How long a signature waits for the holder's approval (default 120 s).
        public var approvalTimeoutSeconds: Double?
        /// How often the credentials are listed again (default 300 s; a failed service is asked again sooner).
        public var refreshSeconds: Double?
        /// Bound on each call to the service (default 20 s).
        public var requestTimeoutSeconds: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case baseURL, version, provider, login, clientId, username, userId, loginURL, caFile, methodPaths, holderApproves,
                 approvalTimeoutSeconds, refreshSeconds, requestTimeoutSeconds
        }

        public init(baseURL: String? = nil, version: String? = nil, login: String? = nil) {
            self.baseURL = baseURL
            self.version = version
            self.login = login
        }
    }
}

/// A configured remote service, checked: every refusal names its key (`remoteServices.mysign.baseURL`).
public struct RemoteServiceSettings: Sendable {
    public enum Login: String, Sendable, CaseIterable {
        case basic, clientCredentials, password

        /// The secrets this login needs from the sealed store.
        var secrets: [RemoteSecretKind] {
            switch self {
            case .basic: [.password]
            case .clientCredentials: [.clientSecret]
            case .password: [.clientSecret, .password]
            }
        }
    }

    public var name: String
    public var provider: String
    public var baseURL: String
    public var version: CSCAPIVersion
    public var login: Login
    public var clientId: String?
    public var username: String?
    public var userId: String?
    public var loginURL: String?
    public var caFile: String?
    public var methodPaths: [String: String]
    public var holderApproves: Bool
    public var approvalTimeout: Duration
    public var refreshInterval: Duration
    public var requestTimeout: Duration

    static let approvalTimeoutSeconds = 1.0...600.0
    static let refreshSeconds = 1.0...86_400.0
    static let requestTimeoutSeconds = 0.5...300.0
    /// Method names a gateway may rename (the ones Kyso calls).
    static let methods: Set<String> = [
        "info", "auth/login", "oauth2/token", "credentials/list", "credentials/info", "credentials/sendOTP",
        "credentials/authorize", "signatures/signHash", "signatures/signPolling",
    ]

    init(name: String, _ file: DaemonConfiguration.RemoteService) throws {
        let key = { (field: String) in "remoteServices.\(name).\(field)" }
        func fail(_ field: String, _ reason: String) -> ConfigurationError { ConfigurationError(path: "", reason: "\(key(field)) \(reason)") }
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ConfigurationError(path: "", reason: "remoteServices: the name \"\(name)\" must be 1 to 64 letters, digits, - or _")
        }
        self.name = name
        provider = file.provider ?? name
        guard let base = file.baseURL else { throw fail("baseURL", "is missing") }
        guard let url = URL(string: base), url.scheme == "https", url.host != nil else {
            throw fail("baseURL", "must be an https:// URL, not \"\(base)\"")
        }
        baseURL = base
        switch file.version {
        case "1", "1.0.4", "1.0.4.0", "v1": version = .v1
        case "2", "2.0", "2.0.0.2", "v2": version = .v2
        case nil: throw fail("version", "is missing (1 for CSC v1.0.4, 2 for v2.0)")
        case let other?: throw fail("version", "must be 1 (CSC v1.0.4) or 2 (v2.0), not \"\(other)\"")
        }
        guard let loginName = file.login else { throw fail("login", "is missing (basic, clientCredentials or password)") }
        guard let login = Login(rawValue: loginName) else {
            throw fail("login", "must be basic, clientCredentials or password, not \"\(loginName)\"")
        }
        self.login = login
        clientId = file.clientId
        username = file.username
        userId = file.userId
        if login != .basic, clientId == nil { throw fail("clientId", "is missing (login \(loginName) needs the OAuth2 client id)") }
        if login != .clientCredentials, username == nil { throw fail("username", "is missing (login \(loginName) needs the holder's login)") }
        if let loginURL = file.loginURL, URL(string: loginURL)?.scheme != "https" {
            throw fail("loginURL", "must be an https:// URL, not \"\(loginURL)\"")
        }
        loginURL = file.loginURL
        if let caFile = file.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw fail("caFile", "cannot be read: \(caFile)")
        }
        caFile = file.caFile
        methodPaths = file.methodPaths ?? [:]
        for (method, path) in methodPaths {
            guard Self.methods.contains(method) else {
                throw fail("methodPaths", "names \"\(method)\", not a method Kyso calls (\(Self.methods.sorted().joined(separator: ", ")))")
            }
            guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("..") else {
                throw fail("methodPaths", "maps \(method) to \"\(path)\": a path relative to baseURL, without a leading / or ..")
            }
        }
        holderApproves = file.holderApproves ?? false
        let ranges = ConfigurationRanges.self
        approvalTimeout = try ranges.seconds(file.approvalTimeoutSeconds, key: key("approvalTimeoutSeconds"), default: 120,
                                             range: Self.approvalTimeoutSeconds)
        refreshInterval = try ranges.seconds(file.refreshSeconds, key: key("refreshSeconds"), default: 300, range: Self.refreshSeconds)
        requestTimeout = try ranges.seconds(file.requestTimeoutSeconds, key: key("requestTimeoutSeconds"), default: 20,
                                            range: Self.requestTimeoutSeconds)
    }

    /// The client's configuration, once the sealed secrets are at hand (`secrets` by kind).
    func clientConfiguration(secrets: [RemoteSecretKind: String]) -> CSCServiceConfiguration {
        let cscLogin: CSCServiceConfiguration.Login = switch login {
        case .basic: .basic(username: username ?? "", password: secrets[.password] ?? "")
        case .clientCredentials: .clientCredentials(clientID: clientId ?? "", clientSecret: secrets[.clientSecret] ?? "")
        case .password:
            .password(clientID: clientId ?? "", clientSecret: secrets[.clientSecret] ?? "", username: username ?? "",
                      password: secrets[.password] ?? "")
        }
        var configuration = CSCServiceConfiguration(baseURL: baseURL, version: version, login: cscLogin)
        configuration.loginURL = loginURL
        configuration.methodPaths = methodPaths
        configuration.userID = userId
        configuration.extraTrustRootsFile = caFile
        configuration.requestTimeout = requestTimeout
        // The service may hold a synchronous signHash until the holder approves: give it the approval time.
        if holderApproves { configuration.requestTimeout = max(requestTimeout, approvalTimeout + .seconds(5)) }
        return configuration
    }
}
