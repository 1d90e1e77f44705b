/// A VNACCS User ID: the name of a declarant account, exactly 8 ASCII letters or digits, upper-cased.
///
/// Its first 5 characters are the unit code (VNACCS message E574: "user code is 5 alphanumerics"); the last 3
/// tell the unit's users apart (inferred from the 8-character field of the public client clone).
public struct UserID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public static let length = 8
    public static let unitCodeLength = 5

    /// Canonical upper-case text.
    public let value: String

    /// Accepts upper or lower case; surrounding whitespace (from copying) is dropped, inner whitespace is refused.
    public init(_ text: String) throws(AccountFieldError) {
        let trimmed = String(Substring(text).trimmingWhitespace)
        if trimmed.isEmpty { throw AccountFieldError(.userId, .empty, "User ID is empty; it has 8 letters or digits") }
        if let bad = AccountCharacters.firstInvalid(in: trimmed, allowed: AccountCharacters.isLetterOrDigit) {
            throw AccountFieldError(
                .userId, .invalidCharacters, "User ID \"\(trimmed)\" contains \(bad); only letters A-Z and digits 0-9 are allowed",
                arguments: ["value": trimmed, "character": bad])
        }
        guard trimmed.count == Self.length else {
            throw AccountFieldError(
                .userId, .wrongLength, "User ID \"\(trimmed)\" has \(trimmed.count) characters; it must have exactly 8",
                arguments: ["value": trimmed, "count": String(trimmed.count)])
        }
        value = trimmed.uppercased()
    }

    /// The first 5 characters: the unit (đơn vị) the account belongs to.
    public var unitCode: String { String(value.prefix(Self.unitCodeLength)) }

    public var description: String { value }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
