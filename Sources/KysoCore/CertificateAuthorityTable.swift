import Foundation

/// A licensed certificate authority (or the Kyso lab), as declarants name it when registering with VNACCS.
public enum CertificateAuthorityProvider: String, Sendable, Codable, Hashable, CaseIterable {
    case vnpt, viettel, fpt, bkav, nacencomm, ncca, cmc
    /// The Kyso lab's TEST root.
    case kysoLab
    case unknown

    public var displayName: String {
        switch self {
        case .vnpt: "VNPT-CA"
        case .viettel: "Viettel-CA"
        case .fpt: "FPT-CA"
        case .bkav: "BkavCA"
        case .nacencomm: "Nacencomm (CA2)"
        case .ncca: "NC-CA"
        case .cmc: "CMC-CA"
        case .kysoLab: "Kyso Lab"
        case .unknown: "unknown"
        }
    }
}

/// One issuer name known to belong to a provider.
public struct CertificateAuthorityEntry: Sendable, Codable, Hashable {
    public var provider: CertificateAuthorityProvider
    /// Issuer `CN` and `O`, both required to match: a CN alone (`CA2`) is too easy to imitate.
    public var commonName: String
    public var organization: String
    /// Issues certificates for remote signing (keys held by the CA's HSM, not on a token).
    public var isRemoteSigning: Bool
    /// A Kyso lab TEST issuer, never a real CA.
    public var isTest: Bool
    /// Where this issuer name was seen.
    public var source: String

    public init(
        _ provider: CertificateAuthorityProvider, commonName: String, organization: String,
        remoteSigning: Bool = false, test: Bool = false, source: String
    ) {
        self.provider = provider
        self.commonName = commonName
        self.organization = organization
        self.isRemoteSigning = remoteSigning
        self.isTest = test
        self.source = source
    }
}

/// What the table says about one issuer.
public struct CertificateAuthorityMatch: Sendable, Codable, Hashable {
    public var provider: CertificateAuthorityProvider
    public var displayName: String
    /// The issuer's CN, always reported (the only clue when the provider is unknown).
    public var issuerCommonName: String?
    public var isRemoteSigning: Bool
    public var isTest: Bool
    /// Where the matching entry was seen; nil when unknown.
    public var source: String?

    public var isKnown: Bool { provider != .unknown }
}

/// Maps issuer names to providers by exact CN and O (NFC, case and spacing folded). No pattern matching:
/// an unknown issuer stays unknown rather than being mapped to a wrong provider.
public struct CertificateAuthorityTable: Sendable {
    public let entries: [CertificateAuthorityEntry]
    private let index: [Key: CertificateAuthorityEntry]

    private struct Key: Hashable {
        var commonName: String
        var organization: String
    }

    /// Entries with the same CN and O but different providers are dropped: ambiguous means unknown.
    public init(entries: [CertificateAuthorityEntry]) {
        self.entries = entries
        var index: [Key: CertificateAuthorityEntry] = [:]
        var ambiguous: Set<Key> = []
        for entry in entries {
            let key = Key(commonName: Self.fold(entry.commonName), organization: Self.fold(entry.organization))
            if let existing = index[key], existing != entry { ambiguous.insert(key) }
            index[key] = entry
        }
        for key in ambiguous { index[key] = nil }
        self.index = index
    }

    public func match(issuer: DistinguishedNameText) -> CertificateAuthorityMatch {
        let commonName = issuer.commonName
        let key = Key(commonName: Self.fold(commonName ?? ""), organization: Self.fold(issuer.organization ?? ""))
        guard commonName != nil, let entry = index[key] else {
            return CertificateAuthorityMatch(
                provider: .unknown, displayName: CertificateAuthorityProvider.unknown.displayName,
                issuerCommonName: commonName, isRemoteSigning: false, isTest: false, source: nil)
        }
        return CertificateAuthorityMatch(
            provider: entry.provider, displayName: entry.provider.displayName, issuerCommonName: commonName,
            isRemoteSigning: entry.isRemoteSigning, isTest: entry.isTest, source: entry.source)
    }

    static func fold(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping.lowercased()
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    // Where each entry comes from, as the API reports it: a section of docs/certificate-authorities.md.
    private static let domain = "docs/certificate-authorities.md#licensed-cas: issuer seen in public code and signed samples"
    private static let lab = "docs/certificate-authorities.md#the-kyso-labs-test-pki: Kyso lab TEST PKI (Tools/kyso-lab)"

    /// Issuers Kyso recognises today. Add an entry only with a source that showed the exact CN and O.
    public static let known = CertificateAuthorityTable(entries: [
        .init(.vnpt, commonName: "VNPT Certification Authority", organization: "VNPT Group", source: domain),
        .init(
            .vnpt, commonName: "VNPT SmartCA RS", organization: "VIETNAM POSTS AND TELECOMMUNICATIONS GROUP",
            remoteSigning: true, source: domain),
        .init(.viettel, commonName: "Viettel-CA", organization: "Viettel Group", source: domain),
        .init(
            .viettel, commonName: "Viettel-CA RS", organization: "Viettel Group", remoteSigning: true,
            source: domain + " (MySign)"),
        .init(.fpt, commonName: "FPT Certification Authority", organization: "FPT Corporation", source: domain),
        .init(.bkav, commonName: "BkavCA", organization: "Bkav Corporation", source: domain),
        .init(.bkav, commonName: "BkavCA SHA256", organization: "Bkav Corporation", source: domain),
        .init(.nacencomm, commonName: "CA2", organization: "NACENCOMM SCT", source: domain),
        .init(.ncca, commonName: "NC-CA SHA256", organization: "CÔNG TY CỔ PHẦN CÔNG NGHỆ NCCA", source: domain),
        .init(.cmc, commonName: "CMC Certification Authority", organization: "CMC Corporation", source: domain),
        .init(.kysoLab, commonName: "Kyso TEST National Root CA", organization: "Kyso Lab TEST", test: true, source: lab),
        .init(.vnpt, commonName: "VNPT Certification Authority TEST", organization: "VNPT Group", test: true, source: lab),
        .init(.viettel, commonName: "Viettel-CA TEST", organization: "Viettel Group", test: true, source: lab),
        .init(.fpt, commonName: "FPT Certification Authority TEST", organization: "FPT Corporation", test: true, source: lab),
        .init(.bkav, commonName: "BkavCA TEST", organization: "Bkav Corporation", test: true, source: lab),
    ])
}
