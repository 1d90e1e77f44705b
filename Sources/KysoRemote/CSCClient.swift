import Foundation
import KysoCore

/// A client of one CSC API remote signing service (v1.0.4.0 or v2.0.0.2).
///
/// It logs in when a call needs an access token (again when the token is about to end or the service rejects
/// it on a call that is safe to repeat), lists and reads credentials, authorises with a PIN or OTP, and has hashes
/// signed, waiting for the holder's approval when the service asks for it. Nothing here logs: errors say what
/// failed, never a PIN, OTP, password or token.
public actor CSCClient {
    public nonisolated let configuration: CSCServiceConfiguration
    let transport: CSCTransport
    private var accessToken: String?
    private var tokenExpiry: ContinuousClock.Instant?

    public init(configuration: CSCServiceConfiguration) throws {
        self.configuration = configuration
        transport = try CSCTransport(configuration: configuration)
    }

    /// Closes the connections; the client cannot be used afterwards.
    public func shutdown() async {
        await transport.shutdown()
    }

    /// `info`: the service's name, specification version and methods. Needs no login.
    public func info() async throws -> CSCServiceInfo {
        try await call("info", CSCLoginRequest?.none, authorised: false, repeatable: true)
    }

    /// Obtains a service access token with the configured login.
    public func login() async throws {
        let method: String
        let url: String
        var body: [UInt8]
        var authorization: String?
        var contentType = "application/json"
        switch configuration.login {
        case .basic(let username, let password):
            method = "auth/login"
            url = configuration.loginURL ?? endpoint(method)
            body = try Array(JSONEncoder().encode(CSCLoginRequest()))
            authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .clientCredentials(let clientID, let clientSecret):
            method = "oauth2/token"
            url = configuration.loginURL ?? endpoint(method)
            body = Self.form(["grant_type": "client_credentials", "client_id": clientID, "client_secret": clientSecret])
            contentType = "application/x-www-form-urlencoded"
        case .password(let clientID, let clientSecret, let username, let password):
            method = "oauth2/token"
            url = configuration.loginURL ?? endpoint(method)
            body = Self.form([
                "grant_type": "password", "client_id": clientID, "client_secret": clientSecret,
                "username": username, "password": password,
            ])
            contentType = "application/x-www-form-urlencoded"
        }
        defer { SecretBytes.wipe(&body) }
        let answer = try await transport.post(
            method, url: url, body: body, contentType: contentType, authorization: authorization, repeatable: true)
        let token: CSCAccessToken = try Self.decode(try Self.success(answer, method: method), method: method)
        accessToken = token.accessToken
        tokenExpiry = ContinuousClock.now + .seconds(token.expiresIn ?? 3600)
    }

    // MARK: - Calls

    /// The one place a method becomes a URL.
    nonisolated func endpoint(_ method: String) -> String {
        configuration.baseURL + "/" + (configuration.methodPaths[method] ?? method)
    }

    private func bearer() async throws -> String {
        if let accessToken, let tokenExpiry, ContinuousClock.now + .seconds(30) < tokenExpiry {
            return "Bearer " + accessToken
        }
        try await login()
        return "Bearer " + (accessToken ?? "")
    }

    /// A JSON call whose answer decodes as `Answer`.
    func call<Answer: Decodable>(
        _ method: String, _ request: (some Encodable)?, authorised: Bool = true, repeatable: Bool
    ) async throws -> Answer {
        let body = try request.map { try Array(JSONEncoder().encode($0)) } ?? Array("{}".utf8)
        return try Self.decode(try await send(method, body: body, authorised: authorised, repeatable: repeatable), method: method)
    }

    /// Sends `body` and returns the body of a 2xx answer. A repeatable call whose token the service rejects logs
    /// in once more and is sent again; any other call reports the rejection.
    func send(_ method: String, body: [UInt8], authorised: Bool = true, repeatable: Bool) async throws -> [UInt8] {
        let answer = try await exchange(method, body: body, authorised: authorised, repeatable: repeatable)
        do {
            return try Self.success(answer, method: method)
        } catch CSCError.accessTokenRejected(_) where repeatable && authorised {
            accessToken = nil
            return try Self.success(try await exchange(method, body: body, authorised: true, repeatable: true), method: method)
        }
    }

    /// Sends `body` and returns the answer whatever its status.
    func exchange(_ method: String, body: [UInt8], authorised: Bool = true, repeatable: Bool) async throws -> CSCTransport.Answer {
        let authorization = authorised ? try await bearer() : nil
        return try await transport.post(method, url: endpoint(method), body: body, authorization: authorization, repeatable: repeatable)
    }

    static func success(_ answer: CSCTransport.Answer, method: String) throws -> [UInt8] {
        guard (200..<300).contains(answer.status) else {
            throw CSCError.from(status: answer.status, body: errorBody(answer), method: method)
        }
        return answer.body
    }

    static func errorBody(_ answer: CSCTransport.Answer) -> CSCErrorBody? {
        try? JSONDecoder().decode(CSCErrorBody.self, from: Data(answer.body))
    }

    static func decode<T: Decodable>(_ body: [UInt8], method: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
        } catch {
            throw CSCError.malformedResponse(method: method, reason: "\(error)")
        }
    }

    /// `application/x-www-form-urlencoded` (RFC 6749 appendix B): unreserved characters as they are, the rest
    /// percent-encoded.
    static func form(_ fields: KeyValuePairs<String, String>) -> [UInt8] {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let text = fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")"
        }.joined(separator: "&")
        return Array(text.utf8)
    }
}
