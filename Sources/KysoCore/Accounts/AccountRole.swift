/// The two kinds of VNACCS account a business registers.
public enum AccountRole: String, Sendable, Codable, Hashable, CaseIterable {
    /// The business's administration account (tài khoản quản trị), identified by its tax code: registers, edits and
    /// deletes declarant accounts and cannot declare. Any certificate of that tax code authenticates it.
    case admin
    /// A declarant account (tài khoản khai báo): one User ID, one Terminal ID, one certificate.
    case declarant

    /// Reads the wire text; anything but `admin` or `declarant` is refused.
    public init(text: String) throws(AccountFieldError) {
        guard let role = AccountRole(rawValue: text) else {
            throw AccountFieldError(.role, .unknownRole, "role \"\(text)\" is unknown; use admin or declarant", arguments: ["value": text])
        }
        self = role
    }
}
