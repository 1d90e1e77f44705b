import Crypto

/// Digests of the whole DER certificate, lowercase hex.
public struct CertificateFingerprints: Sendable, Codable, Hashable {
    public var sha1: String
    public var sha256: String

    public init(derEncoded bytes: [UInt8]) {
        self.sha1 = Hex.lowercase(Insecure.SHA1.hash(data: bytes))
        self.sha256 = Hex.lowercase(SHA256.hash(data: bytes))
    }
}
