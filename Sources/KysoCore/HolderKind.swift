/// Who holds the certificate, as the customs registration distinguishes them.
public enum HolderKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// An enterprise with a 10-digit tax code.
    case organisation
    /// A dependent unit with a 13-digit branch tax code.
    case branch
    /// A named person acting for an organisation or branch (personal ID and the organisation's tax code).
    case personInOrganisation
    /// A person on their own (personal identifiers only, or a 12-digit personal tax code).
    case individual
    /// A state budget unit (carries an `MNS` budget-relationship code).
    case budgetUnit
    /// The identifiers do not say; never guessed.
    case unknown

    /// Classifies from the `UID` identifiers alone: names are free text and prove nothing.
    public init(identifiers: [VietnameseIdentifier]) {
        let kinds = Set(identifiers.compactMap(\.kind))
        let taxForms = identifiers.compactMap(\.taxCode?.form)
        let hasPerson = kinds.contains(where: \.identifiesPerson)
        let organisationForm = taxForms.first { $0 != .personalID }
        if kinds.contains(.budgetRelationship) {
            self = .budgetUnit
        } else if hasPerson {
            self = organisationForm != nil ? .personInOrganisation : .individual
        } else if let organisationForm {
            self = organisationForm == .branch ? .branch : .organisation
        } else if taxForms.contains(.personalID) {
            self = .individual
        } else {
            self = .unknown
        }
    }
}
