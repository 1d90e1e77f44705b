/// How a bound account is addressed (`/v1/bindings/{key}`) and stored: a declarant by its User ID, an admin account
/// by its tax code. The two text forms never collide: a User ID has 8 characters, a tax code 10, 12 or 13 digits.
public enum AccountKey: Sendable, Hashable, CustomStringConvertible {
    case declarant(UserID)
    case admin(TaxCode)

    /// Reads either form: 8 letters or digits is a User ID, anything else must be a tax code.
    public init(_ text: String) throws(AccountFieldError) {
        let trimmed = String(Substring(text).trimmingWhitespace)
        if trimmed.count == UserID.length, trimmed.allSatisfy(AccountCharacters.isLetterOrDigit) {
            self = .declarant(try UserID(trimmed))
            return
        }
        do {
            self = .admin(try TaxCode(trimmed))
        } catch {
            throw AccountFieldError(
                .userId, .invalidCharacters,
                "\"\(trimmed)\" is neither a User ID (8 letters or digits) nor a tax code (\(error))", taxCodeError: error,
                arguments: ["value": trimmed], messageKey: "accountField.accountKey")
        }
    }

    /// The stored text: the User ID or the tax code's canonical text.
    public var text: String {
        switch self {
        case .declarant(let userId): userId.value
        case .admin(let taxCode): taxCode.value
        }
    }

    public var description: String { text }
}
