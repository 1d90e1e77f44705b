import SwiftASN1

/// The algorithm the issuer signed the certificate with.
public struct SignatureAlgorithmDescription: Sendable, Codable, Hashable {
    /// Name such as `sha256WithRSAEncryption`, or the dotted OID when unknown.
    public var name: String
    public var oid: String
    /// Hash name (`SHA-1`, `SHA-256`, …) when the algorithm fixes one.
    public var hash: String?
    /// SHA-1 signatures are no longer accepted by many relying parties; flag them for the user.
    public var usesSHA1: Bool
    /// MD5 or SHA-1: collisions are practical.
    public var isWeak: Bool

    init(oid identifier: ASN1ObjectIdentifier) {
        oid = identifier.description
        let known = Self.table[oid]
        name = known?.name ?? oid
        hash = known?.hash
        usesSHA1 = hash == "SHA-1"
        isWeak = hash == "SHA-1" || hash == "MD5"
    }

    private static let table: [String: (name: String, hash: String?)] = [
        "1.2.840.113549.1.1.4": ("md5WithRSAEncryption", "MD5"),
        "1.2.840.113549.1.1.5": ("sha1WithRSAEncryption", "SHA-1"),
        "1.2.840.113549.1.1.11": ("sha256WithRSAEncryption", "SHA-256"),
        "1.2.840.113549.1.1.12": ("sha384WithRSAEncryption", "SHA-384"),
        "1.2.840.113549.1.1.13": ("sha512WithRSAEncryption", "SHA-512"),
        "1.2.840.113549.1.1.14": ("sha224WithRSAEncryption", "SHA-224"),
        "1.2.840.113549.1.1.10": ("rsassaPss", nil),
        "1.2.840.10045.4.1": ("ecdsa-with-SHA1", "SHA-1"),
        "1.2.840.10045.4.3.2": ("ecdsa-with-SHA256", "SHA-256"),
        "1.2.840.10045.4.3.3": ("ecdsa-with-SHA384", "SHA-384"),
        "1.2.840.10045.4.3.4": ("ecdsa-with-SHA512", "SHA-512"),
        "1.2.840.10040.4.3": ("dsa-with-sha1", "SHA-1"),
        "1.3.101.112": ("Ed25519", nil),
        "1.3.101.113": ("Ed448", nil),
    ]
}
