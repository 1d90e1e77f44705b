/// A VNACCS account password: 1 to 8 printable ASCII characters without spaces. A secret.
///
/// Case is kept (nothing says VNACCS folds it). Spaces are refused because the VNACCS message header pads fields
/// with spaces, which would make a trailing space indistinguishable from padding (inferred from the public client
/// clone's `NaccsHeader.cs`). `description`, `debugDescription` and reflection never show the value; read it on
/// purpose through `revealed`. Not `Codable`.
public struct VNACCSPassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let maximumLength = 8

    private let value: SecretBytes

    public init(_ text: String) throws(AccountFieldError) { try self.init(SecretBytes(text)) }

    /// Checks the bytes as they came from the request, without making a string of them.
    public init(_ secret: SecretBytes) throws(AccountFieldError) {
        let bytes = secret.bytes
        if bytes.isEmpty { throw AccountFieldError(.password, .empty, "VNACCS password is empty") }
        if !bytes.allSatisfy({ AccountCharacters.isPrintableASCII($0) && $0 != 0x20 }) {
            throw AccountFieldError(
                .password, .invalidCharacters,
                "VNACCS password contains a space, an accented letter or a control character; only printable ASCII is allowed")
        }
        guard bytes.count <= Self.maximumLength else {
            throw AccountFieldError(.password, .tooLong, "VNACCS password is longer than 8 characters")
        }
        value = secret
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value.bytes == rhs.value.bytes }

    public var revealed: SecretBytes { value }

    public var description: String { "VNACCSPassword(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
