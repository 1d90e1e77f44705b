import Foundation
import KysoCore

/// A PIN or OTP on its way to the service: held as bytes, given out once, then overwritten.
///
/// Never logged (its description is fixed) and never turned into a `String` by this module: the request body is
/// built with the secret spliced in as bytes (`CSCSecretBody`), and that body is wiped after the call too.
public final class CSCSecret: @unchecked Sendable, CustomStringConvertible {
    private let lock = NSLock()
    private var bytes: [UInt8]
    private var used = false

    /// Takes the caller's bytes; the caller should wipe its own copy.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// For a PIN typed into a String the caller already holds (which this type cannot wipe).
    public convenience init(utf8 text: String) {
        self.init(bytes: Array(text.utf8))
    }

    deinit {
        SecretBytes.wipe(&bytes)
    }

    public var description: String { "CSCSecret(redacted)" }

    /// Hands the bytes to `body` once and wipes them whatever happens.
    func consume<T>(_ body: ([UInt8]) throws -> T) throws -> T {
        try lock.withLock {
            guard !used else { throw CSCError.secretAlreadyUsed }
            used = true
            defer { SecretBytes.wipe(&bytes) }
            return try body(bytes)
        }
    }
}

/// Splices secret members into a JSON object encoded without them, so a secret never becomes a `String`.
enum CSCSecretBody {
    /// `object` is JSONEncoder's output for the other members (`{…}`); `parts` are (JSON text before a secret, the
    /// secret's bytes, JSON text after it), written in order after `object`'s members: the caller's texts carry
    /// the member names and any commas between parts.
    static func splice(_ object: [UInt8], parts: [(prefix: String, secret: [UInt8], suffix: String)]) throws -> [UInt8] {
        guard object.first == UInt8(ascii: "{"), object.last == UInt8(ascii: "}") else {
            throw CSCError.invalidRequest("request body is not a JSON object")
        }
        var body = Array(object.dropLast())
        if body.count > 1, !parts.isEmpty { body.append(UInt8(ascii: ",")) }
        for part in parts {
            body.append(contentsOf: part.prefix.utf8)
            try appendEscaped(part.secret, to: &body)
            body.append(contentsOf: part.suffix.utf8)
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    /// JSON string escaping (RFC 8259 section 7) of UTF-8 bytes: quote, backslash and control characters.
    static func appendEscaped(_ bytes: [UInt8], to body: inout [UInt8]) throws {
        // Validated by decoding in place: building a String to check would leave a copy of the secret behind.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break decoding
            case .error: throw CSCError.invalidRequest("a PIN or OTP must be UTF-8 text")
            }
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                body.append(UInt8(ascii: "\\"))
                body.append(byte)
            case 0..<0x20:
                body.append(contentsOf: Array("\\u00".utf8))
                body.append(hex[Int(byte >> 4)])
                body.append(hex[Int(byte & 0xF)])
            default:
                body.append(byte)
            }
        }
    }
}
