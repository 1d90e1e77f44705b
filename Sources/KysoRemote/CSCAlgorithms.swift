/// Hash algorithms a signature request names by OID (`hashAlgo` in v1, `hashAlgorithmOID` in v2).
public enum CSCHashAlgorithm: String, Sendable, Codable, Hashable, CaseIterable {
    case sha256 = "2.16.840.1.101.3.4.2.1"
    case sha384 = "2.16.840.1.101.3.4.2.2"
    case sha512 = "2.16.840.1.101.3.4.2.3"

    public var oid: String { rawValue }
    public var digestLength: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }
}

/// The `signAlgo` OIDs Kyso sends: the key's algorithm, with the hash named separately. Services list what a key
/// accepts in credentials/info `key.algo`; these two are the ones every RSA or EC credential seen so far accepts.
public enum CSCSignatureAlgorithm: String, Sendable, Codable, Hashable {
    /// rsaEncryption: PKCS#1 v1.5 over the DigestInfo of the given hash.
    case rsa = "1.2.840.113549.1.1.1"
    /// id-ecPublicKey: ECDSA over the given hash, a DER Ecdsa-Sig-Value back.
    case ecdsa = "1.2.840.10045.2.1"

    public var oid: String { rawValue }

    /// The algorithm for a key whose credentials/info `key.algo` lists `oids`, or nil when it lists neither.
    public static func forKey(algorithms oids: [String]) -> CSCSignatureAlgorithm? {
        let rsaOIDs: Set = ["1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"]
        let ecOIDs: Set = ["1.2.840.10045.2.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"]
        if oids.contains(where: rsaOIDs.contains) { return .rsa }
        if oids.contains(where: ecOIDs.contains) { return .ecdsa }
        return nil
    }
}
