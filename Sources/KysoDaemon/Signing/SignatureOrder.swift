import Foundation
public import KysoAPI
public import KysoCore

/// A request for a signature, as the signer takes it: the wire's strings already read as what they mean.
public struct SignatureOrder: Sendable {
    public enum Content: Sendable {
        /// What to sign; kysod or the key's backend hashes it.
        case data([UInt8])
        /// A SHA-256 digest the caller computed (raw or CMS).
        case digest([UInt8])
    }

    public var tokenId: String
    /// The certificate whose key signs (SHA-256, lowercase); nil when the token holds one key.
    public var certificate: String?
    public var content: Content
    /// nil: the key's own (`ecdsa-sha256` for an EC key, `rsa-pkcs1-sha256` for RSA).
    public var mechanism: SignatureMechanism?
    public var output: SignatureOutput
    public var authorization: KeyAuthorization
    /// The web page that asked, already checked (`BrowserOrigin`), when the browser host sent the request: kept in the
    /// audit record and kysod's log.
    public var origin: String?

    public init(tokenId: String, certificate: String?, content: Content, mechanism: SignatureMechanism? = nil,
                output: SignatureOutput = .raw, authorization: KeyAuthorization, origin: String? = nil) {
        self.origin = origin
        self.tokenId = tokenId
        self.certificate = certificate?.lowercased()
        self.content = content
        self.mechanism = mechanism
        self.output = output
        self.authorization = authorization
    }
}

/// A signature made and checked.
public struct Signature: Sendable {
    public var tokenId: String
    public var certificateSHA256: String
    public var mechanism: SignatureMechanism
    public var output: SignatureOutput
    public var bytes: [UInt8]
    public var pin: PINStatus
    public var warning: String?
    public var cachedLogin: Bool
}

/// What the audit keeps of a sign request's body when the edge refuses it before it is an order: the fields as
/// sent, enums as plain text.
struct SignRequestAuditView: Decodable {
    var certificate: String?
    var data: Data?
    var digest: Data?
    var mechanism: String?
    var origin: String?
}
