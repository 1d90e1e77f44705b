/// Why a VNACCS account field was refused. The `reason` is written for the person who typed the value; it never
/// repeats a secret (access key, password).
///
/// Compared by `field` and `code` only, so tests and callers can build the expected error without the wording.
public struct AccountFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field that was refused.
    public enum Field: String, Sendable, Codable, CaseIterable {
        case role, taxCode, userId, terminalId, terminalAccessKey, password
    }

    /// A short, stable code that callers can compare and put in API errors.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// Nothing was given where a value is required.
        case empty
        /// Not the exact length the field needs (User ID 8, Terminal ID 6).
        case wrongLength
        /// Longer than the field allows (access key 16, password 8).
        case tooLong
        /// A character the field does not allow.
        case invalidCharacters
        /// The tax code failed its own validation; `taxCodeError` says how.
        case invalidTaxCode
        /// A declarant account needs a User ID and a Terminal ID.
        case missing
        /// An admin account has no User ID or Terminal ID of its own.
        case notAllowedForRole
        /// Not `admin` or `declarant`.
        case unknownRole
    }

    public var field: Field
    public var code: Code
    public var reason: String
    /// The tax code's own error when `code` is `invalidTaxCode`.
    public var taxCodeError: TaxCodeError?
    /// The values `message` names (the value typed, its length, the bad character), never a secret's.
    public var arguments: [String: String]
    /// The catalog key when it is not `accountField.<field>.<code>`.
    public var messageKey: String?

    public init(_ field: Field, _ code: Code, _ reason: String, taxCodeError: TaxCodeError? = nil,
                arguments: [String: String] = [:], messageKey: String? = nil) {
        self.field = field
        self.code = code
        self.reason = reason
        self.taxCodeError = taxCodeError
        self.arguments = arguments
        self.messageKey = messageKey
    }

    /// `field.code`, e.g. `userId.wrongLength`: stable text for API error bodies.
    public var identifier: String { "\(field.rawValue).\(code.rawValue)" }

    public var description: String { reason }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.field == rhs.field && lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        hasher.combine(code)
    }
}

/// Character classes of VNACCS fields (`NaccsHeader.cs` of the public client clone: ASCII letters and digits).
enum AccountCharacters {
    /// ASCII letters and digits only; anything else (including accented letters and full-width digits) is refused.
    static func isLetterOrDigit(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (0x30...0x39).contains(ascii) || (0x41...0x5A).contains(ascii) || (0x61...0x7A).contains(ascii)
    }

    /// Printable ASCII, space included: what a VNACCS password may hold (inferred: the message format is ASCII).
    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func isPrintableASCII(_ byte: UInt8) -> Bool { (0x20...0x7E).contains(byte) }

    /// Secrets are checked as bytes: space, tab, CR and LF around them are dropped (what a paste adds).
    static func trimmingASCIIWhitespace(_ bytes: [UInt8]) -> [UInt8] {
        let isSpace: (UInt8) -> Bool = { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(bytes[first...last])
    }

    static func isPrintableASCII(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (0x20...0x7E).contains(ascii)
    }

    /// The first character outside letters and digits, quoted for an error message (only for non-secret fields).
    static func firstInvalid(in text: String, allowed: (Character) -> Bool) -> String? {
        text.first { !allowed($0) }.map { character in
            let scalars = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
            return "'\(character)' (\(scalars.joined(separator: " ")))"
        }
    }
}
