import Foundation
import SwiftASN1
import X509

/// How an attribute value was stored in the certificate.
public enum DirectoryStringEncoding: String, Sendable, Codable, Hashable {
    case utf8String, printableString, bmpString, teletexString, ia5String, universalString, visibleString
    case numericString
    /// Not a character string; the value is shown as `#` and the hex of its DER (RFC 4514 section 2.4).
    case notAString
}

enum DirectoryStringDecoding {
    /// Decodes one attribute value to NFC text.
    ///
    /// swift-certificates only decodes UTF8String, PrintableString and IA5String; Vietnamese CAs also issued
    /// BMPString and TeletexString names, so the value is re-read from its DER here.
    static func decode(_ value: RelativeDistinguishedName.Attribute.Value) -> (text: String, encoding: DirectoryStringEncoding) {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(ASN1Any(value))) != nil else {
            return ("#", .notAString)
        }
        let der = serializer.serializedBytes
        guard let node = try? DER.parse(der), case .primitive(let content) = node.content else {
            return (hexForm(der), .notAString)
        }
        let decoded: (String, DirectoryStringEncoding)
        switch node.identifier {
        case .utf8String: decoded = (String(decoding: content, as: UTF8.self), .utf8String)
        case .printableString: decoded = (String(decoding: content, as: UTF8.self), .printableString)
        case .ia5String: decoded = (String(decoding: content, as: UTF8.self), .ia5String)
        case .visibleString: decoded = (String(decoding: content, as: UTF8.self), .visibleString)
        case .numericString: decoded = (String(decoding: content, as: UTF8.self), .numericString)
        case .bmpString:
            guard let text = utf16BigEndian(content) else { return (hexForm(der), .notAString) }
            decoded = (text, .bmpString)
        case .universalString:
            guard let text = utf32BigEndian(content) else { return (hexForm(der), .notAString) }
            decoded = (text, .universalString)
        case .teletexString: decoded = (teletex(content), .teletexString)
        default: return (hexForm(der), .notAString)
        }
        return (decoded.0.precomposedStringWithCanonicalMapping, decoded.1)
    }

    private static func utf16BigEndian(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.count % 2 == 0 else { return nil }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    private static func utf32BigEndian(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var scalars = String.UnicodeScalarView()
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let value = bytes[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            index += 4
        }
        return String(scalars)
    }

    /// T.61 proper is almost never what is inside: software writes Latin-1 (as OpenSSL reads it) or UTF-8.
    /// Bytes that form valid multi-byte UTF-8 are read as UTF-8 (Latin-1 text practically never does);
    /// anything else as Latin-1.
    private static func teletex(_ bytes: ArraySlice<UInt8>) -> String {
        if bytes.contains(where: { $0 >= 0x80 }), let utf8 = String(validating: bytes, as: UTF8.self) {
            return utf8
        }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    static func hexForm(_ der: some Sequence<UInt8>) -> String {
        "#" + Hex.lowercase(der)
    }
}
