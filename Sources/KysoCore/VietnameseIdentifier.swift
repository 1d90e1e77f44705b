/// One `UID` subject attribute (OID 0.9.2342.19200300.100.1.1) of a Vietnamese certificate, `PREFIX:VALUE`.
public struct VietnameseIdentifier: Sendable, Codable, Hashable {
    /// Prefixes seen on Vietnamese certificates (DOMAIN.md).
    public enum Prefix: String, Sendable, Codable, Hashable, CaseIterable {
        /// Mã số thuế: tax code.
        case taxCode = "MST"
        /// Căn cước công dân: 12-digit citizen ID.
        case citizenID = "CCCD"
        /// Chứng minh nhân dân: old 9- or 12-digit ID card.
        case identityCard = "CMND"
        /// Hộ chiếu: passport.
        case passport = "HC"
        /// Mã quan hệ ngân sách: budget-relationship code of a state budget unit.
        case budgetRelationship = "MNS"
        /// Bảo hiểm xã hội: social insurance code.
        case socialInsurance = "BHXH"
        case personalID = "PID"
        case ppid = "PPID"

        /// Prefixes that identify a natural person.
        public var identifiesPerson: Bool {
            switch self {
            case .citizenID, .identityCard, .passport, .personalID, .ppid: true
            case .taxCode, .budgetRelationship, .socialInsurance: false
            }
        }
    }

    /// The attribute value exactly as stored (NFC).
    public var raw: String
    /// The prefix as written, upper-cased when it is a known one; nil when the value has no `:`.
    public var prefix: String?
    /// The known prefix, or nil for an unknown one (kept in `prefix` as written).
    public var kind: Prefix?
    /// The part after the first `:`, trimmed; the whole value when there is no prefix.
    public var value: String
    /// For `MST`: the validated tax code.
    public var taxCode: TaxCode?
    /// For `MST`: why the value is not a valid tax code.
    public var taxCodeProblem: String?

    public init(raw: String) {
        self.raw = raw
        if let colon = raw.firstIndex(of: ":") {
            let written = String(raw[..<colon].trimmingWhitespace)
            let known = Prefix(rawValue: written.uppercased())
            self.prefix = known?.rawValue ?? written
            self.kind = known
            self.value = String(raw[raw.index(after: colon)...].trimmingWhitespace)
        } else {
            self.prefix = nil
            self.kind = nil
            self.value = String(Substring(raw).trimmingWhitespace)
        }
        if kind == .taxCode {
            do {
                taxCode = try TaxCode(value)
            } catch {
                taxCodeProblem = error.description
            }
        }
    }

    /// All `UID` identifiers of a name, in certificate order.
    public static func all(in name: DistinguishedNameText) -> [VietnameseIdentifier] {
        name.values(of: NameAttributeNames.uid).map(VietnameseIdentifier.init(raw:))
    }
}
