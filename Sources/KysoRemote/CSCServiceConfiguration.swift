/// What an administrator configures for one remote signing service.
public struct CSCServiceConfiguration: Sendable, CustomStringConvertible {
    /// How Kyso obtains the service access token.
    public enum Login: Sendable {
        /// `auth/login` with HTTP Basic (Viettel MySign's login is of this kind).
        case basic(username: String, password: String)
        /// `oauth2/token` with `grant_type=client_credentials`; credentials/list then names the holder (`userID`).
        case clientCredentials(clientID: String, clientSecret: String)
        /// `oauth2/token` with `grant_type=password`: a client and the holder's service login together.
        case password(clientID: String, clientSecret: String, username: String, password: String)
    }

    /// The API root, the URL the method names are appended to: `https://host/csc/v1`, `https://host/…/ras/csc/v1`.
    public var baseURL: String
    public var version: CSCAPIVersion
    public var login: Login
    /// Where the login call goes when not `baseURL + /auth/login` or `/oauth2/token` (services put it elsewhere).
    public var loginURL: String?
    /// Paths for methods a service names differently from the specification, relative to `baseURL`: a VNPT SmartCA
    /// style gateway has `signature/signhash` for `signatures/signHash`, say.
    public var methodPaths: [String: String] = [:]
    /// The holder's user id for `credentials/list` when the access token is not the holder's own.
    public var userID: String?
    /// A PEM file of CAs trusted in addition to the system trust store (a private or TEST CA).
    public var extraTrustRootsFile: String?
    public var connectTimeout: Duration = .seconds(5)
    /// Bound on each call, from sending the request to the last byte of the answer.
    public var requestTimeout: Duration = .seconds(20)
    /// Further attempts for calls that are safe to repeat (never `signatures/signHash`, `credentials/authorize` or
    /// `credentials/sendOTP`): a service that was briefly unreachable or answered 502/503/504.
    public var retries: Int = 2
    public var retryDelay: Duration = .milliseconds(200)
    /// How often `signatures/signPolling` asks while the holder has not yet approved.
    public var approvalPollInterval: Duration = .seconds(1)

    public init(baseURL: String, version: CSCAPIVersion, login: Login) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.version = version
        self.login = login
    }

    /// Names the service and the login kind; never a password or secret.
    public var description: String {
        let kind = switch login {
        case .basic(let username, _): "auth/login as \(username)"
        case .clientCredentials(let clientID, _): "oauth2 client \(clientID)"
        case .password(let clientID, _, let username, _): "oauth2 client \(clientID) for \(username)"
        }
        return "CSC \(version.rawValue) at \(baseURL) (\(kind))"
    }
}
