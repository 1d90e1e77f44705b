public import Foundation
public import KysoCore

/// `POST /v1/tokens/{id}/sign`.
///
/// The PIN travels in this body only (never a URL or header), is never logged, and is wiped after use. Leave it
/// out for a token with a PIN pad (protected authentication path) or while a cached login is valid.
public struct SignRequest: Codable, Sendable {
    /// The certificate whose key signs, by SHA-256; needed when the token holds several keys.
    public var certificate: String?
    /// What to sign (base64); Kyso or the token hashes it with SHA-256.
    public var data: Data?
    /// A SHA-256 digest computed by the caller (base64, 32 bytes), for `raw` or `cms` output (a file of any
    /// size is signed without sending it).
    public var digest: Data?
    /// `rsa-pkcs1-sha256`, `rsa-pss-sha256` or `ecdsa-sha256`; by default the key's own (`ecdsa-sha256` for an EC
    /// key, `rsa-pkcs1-sha256` for RSA).
    public var mechanism: SignatureMechanism?
    /// `raw` (default) or `cms` (detached CMS SignedData with the signer's certificate).
    public var output: SignatureOutput?
    public var pin: SecretBytes?
    /// Allow a login when one PIN try is left (a wrong PIN then locks the token).
    public var allowFinalTry: Bool?
    /// The web page that asked, when the request comes from the browser host (`https://…` or `http://localhost…`,
    /// see `BrowserOrigin`): recorded in the audit log and kysod's log, so a signature is traced to its site.
    public var origin: String?
    /// A one-time password, for a remote credential that asks for one (`POST /v1/tokens/{id}/otp` has the service send
    /// it); like the PIN, it goes to the service only and is never kept.
    public var otp: SecretBytes?

    public init(certificate: String? = nil, data: Data? = nil, digest: Data? = nil, mechanism: SignatureMechanism? = nil,
                output: SignatureOutput? = nil, pin: SecretBytes? = nil, allowFinalTry: Bool? = nil, origin: String? = nil,
                otp: SecretBytes? = nil) {
        self.otp = otp
        self.certificate = certificate
        self.data = data
        self.digest = digest
        self.mechanism = mechanism
        self.output = output
        self.pin = pin
        self.allowFinalTry = allowFinalTry
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey { case certificate, data, digest, mechanism, output, pin, allowFinalTry, origin, otp }

    /// Decodes as usual, except that a mechanism or output the API does not know is `UnknownWireValue` (the
    /// answer then names the field and the values it takes) rather than a bare decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try container.decodeIfPresent(String.self, forKey: .certificate)
        data = try container.decodeIfPresent(Data.self, forKey: .data)
        digest = try container.decodeIfPresent(Data.self, forKey: .digest)
        mechanism = try container.decodeWireEnum(SignatureMechanism.self, forKey: .mechanism)
        output = try container.decodeWireEnum(SignatureOutput.self, forKey: .output)
        pin = try container.decodeIfPresent(SecretBytes.self, forKey: .pin)
        allowFinalTry = try container.decodeIfPresent(Bool.self, forKey: .allowFinalTry)
        origin = try container.decodeIfPresent(String.self, forKey: .origin)
        otp = try container.decodeIfPresent(SecretBytes.self, forKey: .otp)
    }
}

/// The signature mechanisms of the API, by their wire names.
public enum SignatureMechanism: String, Codable, Sendable, CaseIterable {
    case rsaPKCS1SHA256 = "rsa-pkcs1-sha256"
    case rsaPSSSHA256 = "rsa-pss-sha256"
    case ecdsaSHA256 = "ecdsa-sha256"
}

/// What a signature comes back as.
public enum SignatureOutput: String, Codable, Sendable, CaseIterable {
    /// The signature block (RSA) or DER `ECDSA-Sig-Value`.
    case raw
    /// Detached CMS SignedData with the signer's certificate.
    case cms
}

public struct SignResponse: Codable, Sendable, Equatable {
    public var tokenId: String
    /// SHA-256 of the signer's certificate.
    public var certificate: String
    public var mechanism: SignatureMechanism
    public var output: SignatureOutput
    /// Raw signature (RSA: the signature block; ECDSA: DER `ECDSA-Sig-Value`) or the CMS DER, base64.
    public var signature: Data
    /// The PIN state after the operation.
    public var pin: PINStatus
    public var warning: String?
    /// Whether the login came from the login cache.
    public var cachedLogin: Bool

    public init(tokenId: String, certificate: String, mechanism: SignatureMechanism, output: SignatureOutput, signature: Data, pin: PINStatus,
                warning: String?, cachedLogin: Bool) {
        self.tokenId = tokenId
        self.certificate = certificate
        self.mechanism = mechanism
        self.output = output
        self.signature = signature
        self.pin = pin
        self.warning = warning
        self.cachedLogin = cachedLogin
    }
}
