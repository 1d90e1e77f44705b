public import Foundation

extension CSCClient {
    /// Most pages `credentialIDs()` follows: a bound against a service that keeps answering `nextPageToken`.
    static let maximumPages = 50

    /// `credentials/list`, following `nextPageToken`.
    public func credentialIDs() async throws -> [String] {
        var ids: [String] = []
        var page: String?
        for _ in 0..<Self.maximumPages {
            let request = CSCListRequest(userID: listUserID, maxResults: 100, pageToken: page)
            let answer: CSCListResponse = try await call("credentials/list", request, repeatable: true)
            ids += answer.credentialIDs
            guard let next = answer.nextPageToken, !next.isEmpty else { return ids }
            page = next
        }
        throw CSCError.malformedResponse(method: "credentials/list", reason: "more than \(Self.maximumPages) pages")
    }

    /// `credentials/info` with the certificate chain, certificate details and authorisation details.
    public func credentialInfo(_ credentialID: String) async throws -> CSCCredentialInfo {
        try await call("credentials/info", CSCInfoRequest(credentialID: credentialID), repeatable: true)
    }

    /// One credential with its certificate profiled as a token's is.
    public func credential(_ credentialID: String, now: Date = Date()) async throws -> RemoteCredential {
        try RemoteCredential(credentialID: credentialID, info: try await credentialInfo(credentialID), now: now)
    }

    /// Every credential of the holder.
    public func credentials(now: Date = Date()) async throws -> [RemoteCredential] {
        var found: [RemoteCredential] = []
        for id in try await credentialIDs() {
            found.append(try await credential(id, now: now))
        }
        return found
    }

    /// `credentials/sendOTP`: the service texts the holder an OTP. Not repeated on failure (each call sends one).
    public func sendOTP(credentialID: String) async throws {
        _ = try await send(
            "credentials/sendOTP", body: Array(try JSONEncoder().encode(CSCCredentialRequest(credentialID: credentialID))),
            repeatable: false)
    }

    /// A client-credentials token is not the holder's: the list names the holder. A holder's own token must not.
    private var listUserID: String? {
        if case .clientCredentials = configuration.login { return configuration.userID }
        return nil
    }
}
