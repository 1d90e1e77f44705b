import SwiftASN1
import X509

/// One attribute of a distinguished name, decoded for reading.
public struct NameAttribute: Sendable, Codable, Hashable {
    /// Short name as RFC 4514 and Windows print it (`CN`, `O`, `UID`, `T`, …), or the dotted OID.
    public var name: String
    /// Dotted attribute type OID, e.g. `0.9.2342.19200300.100.1.1` for `UID`.
    public var oid: String
    /// The decoded value in NFC; for a value that is not a string, `#` and the hex of its DER.
    public var value: String
    /// How the value was stored.
    public var encoding: DirectoryStringEncoding

    public init(name: String, oid: String, value: String, encoding: DirectoryStringEncoding) {
        self.name = name
        self.oid = oid
        self.value = value
        self.encoding = encoding
    }
}

/// A subject or issuer name as text people and tools can read.
public struct DistinguishedNameText: Sendable, Codable, Hashable, CustomStringConvertible {
    /// Relative distinguished names in certificate (ASN.1) order; each holds one or more attributes.
    public var relativeNames: [[NameAttribute]]
    /// RFC 4514 form: last RDN first, `+` inside a multi-valued RDN, special characters escaped.
    public var rfc4514: String

    public init(relativeNames: [[NameAttribute]]) {
        self.relativeNames = relativeNames
        self.rfc4514 = relativeNames.reversed().map { rdn in
            rdn.map { "\($0.name)=\($0.encoding == .notAString ? $0.value : Self.escape($0.value))" }
                .joined(separator: "+")
        }.joined(separator: ",")
    }

    init(_ name: DistinguishedName) {
        self.init(relativeNames: name.map { rdn in
            rdn.map { attribute in
                let (text, encoding) = DirectoryStringDecoding.decode(attribute.value)
                let oid = attribute.type.description
                return NameAttribute(
                    name: NameAttributeNames.shortName(oid) ?? oid, oid: oid, value: text, encoding: encoding)
            }
        })
    }

    /// Every attribute in certificate order.
    public var attributes: [NameAttribute] { relativeNames.flatMap { $0 } }

    /// Values of the attributes with this short name or dotted OID, in certificate order.
    public func values(of nameOrOID: String) -> [String] {
        attributes.filter { $0.name == nameOrOID || $0.oid == nameOrOID }.map(\.value)
    }

    /// The last common name, the one RFC 4514 text shows first.
    public var commonName: String? { values(of: "CN").last }
    /// The last organisation name.
    public var organization: String? { values(of: "O").last }

    public var description: String { rfc4514 }

    /// RFC 4514 section 2.4 escaping.
    static func escape(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";":
                out.append("\\")
                out.append(scalar)
            case "#" where index == 0:
                out.append(contentsOf: "\\#".unicodeScalars)
            case " " where index == 0 || index == scalars.count - 1:
                out.append(contentsOf: "\\ ".unicodeScalars)
            case "\u{0}":
                out.append(contentsOf: "\\00".unicodeScalars)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }
}

/// Attribute type names: RFC 4514's table, plus the names Windows prints for attributes Vietnamese certificates
/// carry (title `T`, email `E`).
enum NameAttributeNames {
    static let uid = "0.9.2342.19200300.100.1.1"

    private static let table: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C",
        "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", uid: "UID",
        "2.5.4.12": "T", "1.2.840.113549.1.9.1": "E", "2.5.4.5": "SERIALNUMBER", "2.5.4.20": "telephoneNumber",
        "2.5.4.4": "SN", "2.5.4.42": "givenName", "2.5.4.17": "postalCode", "2.5.4.97": "organizationIdentifier",
    ]

    static func shortName(_ oid: String) -> String? { table[oid] }
}
