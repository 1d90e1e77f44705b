/// A VNACCS Terminal access key: up to 16 ASCII letters or digits, upper-cased. A secret: it fetches the replies
/// customs sends to the terminal.
///
/// `description`, `debugDescription` and reflection never show the value, so string interpolation, `print`, `dump`
/// and logging cannot leak it; read it on purpose through `revealed`. Not `Codable` for the same reason.
public struct TerminalAccessKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let maximumLength = 16

    private let value: String

    /// Surrounding whitespace is dropped (the logon body pads the key with spaces, so a space cannot be part of it).
    /// Errors never repeat the value.
    public init(_ text: String) throws(AccountFieldError) {
        let trimmed = String(Substring(text).trimmingWhitespace)
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
        value = trimmed.uppercased()
    }

    /// The key itself, for the one place that must send or seal it.
    public var revealed: String { value }

    public var description: String { "TerminalAccessKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
