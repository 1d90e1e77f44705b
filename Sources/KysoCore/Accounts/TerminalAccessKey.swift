/// A VNACCS Terminal access key: up to 16 ASCII letters or digits, upper-cased. A secret: it fetches the replies
/// customs sends to the terminal.
///
/// `description`, `debugDescription` and reflection never show the value, so string interpolation, `print`, `dump`
/// and logging cannot leak it; read it on purpose through `revealed`. Not `Codable` for the same reason.
public struct TerminalAccessKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let maximumLength = 16

    private let value: SecretBytes

    public init(_ text: String) throws(AccountFieldError) { try self.init(SecretBytes(text)) }

    /// Checks the bytes as they came from the request, without making a string of them.
    public init(_ secret: SecretBytes) throws(AccountFieldError) {
        let trimmed = AccountCharacters.trimmingASCIIWhitespace(secret.bytes)
        if trimmed.isEmpty {
            throw AccountFieldError(.terminalAccessKey, .empty, "Terminal access key is empty; it has 1 to 16 letters or digits")
        }
        if !trimmed.allSatisfy(AccountCharacters.isLetterOrDigit) {
            throw AccountFieldError(
                .terminalAccessKey, .invalidCharacters,
                "Terminal access key contains a character other than letters A-Z and digits 0-9")
        }
        guard trimmed.count <= Self.maximumLength else {
            throw AccountFieldError(
                .terminalAccessKey, .tooLong, "Terminal access key is longer than 16 characters")
        }
        // Lowercase ASCII letters to uppercase (0x61...0x7A minus 0x20), as the customs system shows the key.
        value = SecretBytes(trimmed.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 })
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value.bytes == rhs.value.bytes }

    public var revealed: SecretBytes { value }

    public var description: String { "TerminalAccessKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
