/// What identifies a VNACCS account in a registration: the role, the business's tax code and, for a declarant,
/// the User ID and Terminal ID.
///
/// The initialisers keep the shape right: a declarant always has both IDs, an admin account neither.
public struct AccountFields: Sendable, Hashable, Codable {
    public let role: AccountRole
    /// The account's tax code: for an admin account the business it administers; for a declarant the business
    /// it declares for. A certificate serves it when its own tax code equals this one or is a branch of it.
    public let taxCode: TaxCode
    /// Declarant only.
    public let userId: UserID?
    /// Declarant only.
    public let terminalId: TerminalID?

    /// An admin account of `taxCode`.
    public static func admin(taxCode: TaxCode) -> AccountFields {
        AccountFields(role: .admin, taxCode: taxCode, userId: nil, terminalId: nil)
    }

    /// A declarant account.
    public static func declarant(taxCode: TaxCode, userId: UserID, terminalId: TerminalID) -> AccountFields {
        AccountFields(role: .declarant, taxCode: taxCode, userId: userId, terminalId: terminalId)
    }

    private init(role: AccountRole, taxCode: TaxCode, userId: UserID?, terminalId: TerminalID?) {
        self.role = role
        self.taxCode = taxCode
        self.userId = userId
        self.terminalId = terminalId
    }

    /// Validates fields as a request carries them. The first bad field is reported; nothing else happens.
    public init(role: String, taxCode: String, userId: String?, terminalId: String?) throws(AccountFieldError) {
        try self.init(role: try AccountRole(text: role), taxCode: taxCode, userId: userId, terminalId: terminalId)
    }

    /// Validates fields whose role is already known.
    public init(role: AccountRole, taxCode: String, userId: String?, terminalId: String?) throws(AccountFieldError) {
        let code: TaxCode
        do {
            code = try TaxCode(taxCode)
        } catch {
            throw AccountFieldError(.taxCode, .invalidTaxCode, "tax code \"\(taxCode)\": \(error)", taxCodeError: error, arguments: ["value": taxCode])
        }
        switch role {
        case .admin:
            if userId != nil {
                throw AccountFieldError(.userId, .notAllowedForRole, "an admin account has no User ID; it is identified by its tax code")
            }
            if terminalId != nil {
                throw AccountFieldError(.terminalId, .notAllowedForRole, "an admin account has no Terminal ID")
            }
            self = .admin(taxCode: code)
        case .declarant:
            guard let userId else {
                throw AccountFieldError(.userId, .missing, "a declarant account needs a User ID (8 letters or digits)")
            }
            guard let terminalId else {
                throw AccountFieldError(.terminalId, .missing, "a declarant account needs a Terminal ID (6 letters or digits)")
            }
            self = .declarant(taxCode: code, userId: try UserID(userId), terminalId: try TerminalID(terminalId))
        }
    }

    /// The key the account is stored and addressed under.
    public var key: AccountKey {
        if let userId { .declarant(userId) } else { .admin(taxCode) }
    }

    private enum CodingKeys: String, CodingKey { case role, taxCode, userId, terminalId }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                role: try container.decode(String.self, forKey: .role),
                taxCode: try container.decode(String.self, forKey: .taxCode),
                userId: try container.decodeIfPresent(String.self, forKey: .userId),
                terminalId: try container.decodeIfPresent(String.self, forKey: .terminalId))
        } catch let error as AccountFieldError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(taxCode.value, forKey: .taxCode)
        try container.encodeIfPresent(userId, forKey: .userId)
        try container.encodeIfPresent(terminalId, forKey: .terminalId)
    }
}
