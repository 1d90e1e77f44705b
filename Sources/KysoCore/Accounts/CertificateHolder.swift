import Foundation

/// Who a certificate names as its holder, kept with a binding so that a renewed certificate can be recognised
/// after the old one is gone.
public struct CertificateHolder: Sendable, Hashable, Codable {
    /// Subject CN as the CA wrote it.
    public let commonName: String?
    /// Subject `UID` identifiers as `PREFIX:VALUE` (known prefixes upper-cased, values trimmed), certificate order.
    public let identifiers: [String]

    public init(commonName: String?, identifiers: [String]) {
        self.commonName = commonName
        self.identifiers = identifiers
    }

    public init(profile: CertificateProfile) {
        self.init(
            commonName: profile.commonName,
            identifiers: profile.identifiers.map { identifier in
                identifier.prefix.map { "\($0):\(identifier.value)" } ?? identifier.value
            })
    }

    /// Same holder, judged the way a renewal looks. Tax codes are compared by the caller.
    /// - A person ID document (CCCD, CMND, passport, PID) on both with the same kind and number: the same person.
    /// - The same kind of document on both with different numbers: different people, whatever the names say.
    /// - Otherwise (no documents, or a renewed certificate that swapped an old CMND for a CCCD): the common names
    ///   must match, ignoring case and spacing.
    public func isSameHolder(as other: CertificateHolder) -> Bool {
        let mine = personDocuments
        let theirs = other.personDocuments
        if !mine.isDisjoint(with: theirs) { return true }
        let sharedKinds = Set(mine.map(\.kind)).intersection(theirs.map(\.kind))
        if !sharedKinds.isEmpty { return false }
        guard let name = Self.fold(commonName), let otherName = Self.fold(other.commonName) else { return false }
        return name == otherName
    }

    private struct Document: Hashable {
        var kind: VietnameseIdentifier.Prefix
        var number: String
    }

    private var personDocuments: Set<Document> {
        Set(identifiers.compactMap { text in
            let identifier = VietnameseIdentifier(raw: text)
            guard let kind = identifier.kind, kind.identifiesPerson else { return nil }
            return Document(kind: kind, number: identifier.value.uppercased())
        })
    }

    private static func fold(_ name: String?) -> String? {
        guard let name else { return nil }
        let words = name.precomposedStringWithCanonicalMapping.lowercased().split(whereSeparator: \.isWhitespace)
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}
