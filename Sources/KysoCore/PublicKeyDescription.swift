import SwiftASN1

/// The subject's public key: what kind and how strong.
public struct PublicKeyDescription: Sendable, Codable, Hashable {
    public enum KeyType: String, Sendable, Codable, Hashable {
        case rsa, ec, ed25519, ed448, dsa, other
    }

    public var type: KeyType
    /// Modulus length for RSA, curve size for EC; nil when unknown.
    public var sizeInBits: Int?
    /// The named curve for EC keys (`P-256`, `secp256k1`, `brainpoolP256r1`, or the dotted OID).
    public var curve: String?
    /// Dotted OID of the key algorithm.
    public var algorithmOID: String

    /// Short text such as `RSA 2048` or `EC P-256`.
    public var summary: String {
        switch type {
        case .rsa: "RSA \(sizeInBits.map(String.init) ?? "?")"
        case .ec: "EC \(curve ?? "?")"
        case .ed25519: "Ed25519"
        case .ed448: "Ed448"
        case .dsa: "DSA \(sizeInBits.map(String.init) ?? "")".trimmingTrailingSpace
        case .other: algorithmOID
        }
    }

    init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Node?, keyBits: ArraySlice<UInt8>) {
        algorithmOID = algorithm.description
        curve = nil
        sizeInBits = nil
        switch algorithmOID {
        case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10":
            type = .rsa
            sizeInBits = Self.rsaModulusBits(keyBits)
        case "1.2.840.10045.2.1":
            type = .ec
            if let parameters, let oid = try? ASN1ObjectIdentifier(derEncoded: parameters) {
                let known = Self.curves[oid.description]
                curve = known?.name ?? oid.description
                sizeInBits = known?.bits
            }
            if sizeInBits == nil, keyBits.first == 0x04, keyBits.count > 1 {
                sizeInBits = (keyBits.count - 1) / 2 * 8  // uncompressed point: 04 || X || Y
            }
        case "1.3.101.112":
            type = .ed25519
            sizeInBits = 256
        case "1.3.101.113":
            type = .ed448
            sizeInBits = 456
        case "1.2.840.10040.4.1":
            type = .dsa
        default:
            type = .other
        }
    }

    private static let curves: [String: (name: String, bits: Int)] = [
        "1.2.840.10045.3.1.7": ("P-256", 256), "1.3.132.0.34": ("P-384", 384), "1.3.132.0.35": ("P-521", 521),
        "1.3.132.0.10": ("secp256k1", 256), "1.2.840.10045.3.1.1": ("P-192", 192), "1.3.132.0.33": ("P-224", 224),
        "1.3.36.3.3.2.8.1.1.7": ("brainpoolP256r1", 256), "1.3.36.3.3.2.8.1.1.11": ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13": ("brainpoolP512r1", 512),
    ]

    /// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    private static func rsaModulusBits(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard let node = try? DER.parse(bytes),
            let modulus = try? DER.sequence(node, identifier: .sequence, { nodes -> ArraySlice<UInt8> in
                let modulus = try ArraySlice<UInt8>(derEncoded: &nodes)
                _ = try ArraySlice<UInt8>(derEncoded: &nodes)
                return modulus
            })
        else { return nil }
        let significant = modulus.drop(while: { $0 == 0 })
        guard let top = significant.first else { return 0 }
        return (significant.count - 1) * 8 + (8 - top.leadingZeroBitCount)
    }
}

extension String {
    fileprivate var trimmingTrailingSpace: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
