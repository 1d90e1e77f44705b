/// A VNACCS Terminal ID: the declaring workstation's code, exactly 6 ASCII letters or digits, upper-cased.
public struct TerminalID: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let length = 6

    /// Canonical upper-case text.
    public let value: String

    /// Accepts upper or lower case; surrounding whitespace is dropped, inner whitespace is refused.
    public init(_ text: String) throws(AccountFieldError) {
        let trimmed = String(Substring(text).trimmingWhitespace)
        if trimmed.isEmpty {
            throw AccountFieldError(.terminalId, .empty, "Terminal ID is empty; it has exactly 6 letters or digits")
        }
        if let bad = AccountCharacters.firstInvalid(in: trimmed, allowed: AccountCharacters.isLetterOrDigit) {
            throw AccountFieldError(
                .terminalId, .invalidCharacters,
                "Terminal ID \"\(trimmed)\" contains \(bad); only letters A-Z and digits 0-9 are allowed",
                arguments: ["value": trimmed, "character": bad])
        }
        guard trimmed.count == Self.length else {
            throw AccountFieldError(
                .terminalId, .wrongLength, "Terminal ID \"\(trimmed)\" has \(trimmed.count) characters; it must have exactly 6",
                arguments: ["value": trimmed, "count": String(trimmed.count)])
        }
        value = trimmed.uppercased()
    }

    public var description: String { value }

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
