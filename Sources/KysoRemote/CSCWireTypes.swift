/// Request and response members of the CSC API methods Kyso calls, named as on the wire.

/// `info`'s answer.
public struct CSCServiceInfo: Decodable, Sendable, Hashable {
    public var specs: String
    public var name: String
    public var logo: String?
    public var region: String?
    public var lang: String?
    public var description: String?
    public var authType: [String]
    public var oauth2: String?
    public var methods: [String]
}

/// `auth/login` and `oauth2/token` answers.
struct CSCAccessToken: Decodable, Sendable {
    var accessToken: String
    var expiresIn: Int?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
    }
}

struct CSCLoginRequest: Encodable {
    var rememberMe = false
}

struct CSCListRequest: Encodable {
    var userID: String?
    var maxResults: Int?
    var pageToken: String?
}

struct CSCListResponse: Decodable {
    var credentialIDs: [String]
    var nextPageToken: String?
}

struct CSCInfoRequest: Encodable {
    var credentialID: String
    var certificates = "chain"
    var certInfo = true
    var authInfo = true
}

struct CSCCredentialRequest: Encodable {
    var credentialID: String
}

/// credentials/authorize without its secrets (those are spliced in as bytes, see `CSCSecretBody`).
struct CSCAuthorizeRequestV1: Encodable {
    var credentialID: String
    var numSignatures: Int
    var hash: [String]?
    var description: String?
}

struct CSCAuthorizeRequestV2: Encodable {
    var credentialID: String
    var numSignatures: Int
    var hashes: [String]?
    var hashAlgorithmOID: String?
    var description: String?
}

struct CSCAuthorizeResponse: Decodable {
    var SAD: String
    var expiresIn: Int?
}

struct CSCSignHashRequestV1: Encodable {
    var credentialID: String
    var SAD: String
    var hash: [String]
    var hashAlgo: String
    var signAlgo: String
}

struct CSCSignHashRequestV2: Encodable {
    var credentialID: String
    var SAD: String
    var hashes: [String]
    var hashAlgorithmOID: String
    var signAlgo: String
    var operationMode: String
    var validityPeriod: Int?

    enum CodingKeys: String, CodingKey {
        case credentialID, SAD, hashes, hashAlgorithmOID, signAlgo, operationMode
        case validityPeriod = "validity_period"
    }
}

struct CSCSignHashResponse: Decodable {
    var signatures: [String]?
    var responseID: String?
}

struct CSCPollingRequest: Encodable {
    var responseID: String
}
