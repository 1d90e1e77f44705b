public import Foundation
public import KysoText

/// Everything a Vietnamese declarant reads off a certificate, computed from its DER and an explicit `now`.
///
/// Pure: no I/O, no clock unless the default `now` is used. Codable with camelCase keys; dates follow the
/// encoder's strategy (`.iso8601` gives RFC 3339).
public struct CertificateProfile: Sendable, Codable, Hashable {
    public var subject: DistinguishedNameText
    public var issuer: DistinguishedNameText
    /// Subject CN (the holder's name as the CA wrote it).
    public var commonName: String?
    /// Subject O.
    public var organization: String?
    public var serialNumber: SerialNumberText
    public var fingerprints: CertificateFingerprints
    public var validity: Validity
    public var status: CertificateStatus
    /// Whole days from `evaluatedAt` to `validity.notAfter`; negative once expired.
    public var daysRemaining: Int
    /// The `now` the status was computed for.
    public var evaluatedAt: Date
    public var publicKey: PublicKeyDescription
    public var signatureAlgorithm: SignatureAlgorithmDescription
    /// Key usage bit names (`digitalSignature`, `nonRepudiation`, …); empty when the extension is absent.
    public var keyUsage: [String]
    /// Extended key usage names or dotted OIDs; empty when the extension is absent.
    public var extendedKeyUsage: [String]
    public var isCertificateAuthority: Bool
    /// Every subject `UID` identifier, in certificate order.
    public var identifiers: [VietnameseIdentifier]
    /// The first `MST` identifier that is a valid tax code.
    public var taxCode: TaxCode?
    public var holderKind: HolderKind
    public var provider: CertificateAuthorityMatch
    /// Things the user should know: SHA-1 signature, short RSA key, invalid tax code, unreadable extension; in
    /// English (the API's default), as `warningMessages` words them.
    public var warnings: [String]
    /// The same findings as catalog messages, for words in the reader's language. Not part of the JSON (which keeps
    /// `warnings` as texts): empty in a profile decoded from JSON.
    public var warningMessages: [Message] = []

    private enum CodingKeys: String, CodingKey {
        case subject, issuer, commonName, organization, serialNumber, fingerprints, validity, status, daysRemaining,
             evaluatedAt, publicKey, signatureAlgorithm, keyUsage, extendedKeyUsage, isCertificateAuthority, identifiers,
             taxCode, holderKind, provider, warnings
    }

    /// This profile with `warnings` worded for `text`'s reader (kysod answering in the Accept-Language asked for).
    public func localized(_ text: Messages) -> CertificateProfile {
        guard !warningMessages.isEmpty else { return self }
        var profile = self
        profile.warnings = warningMessages.map { text($0) }
        return profile
    }

    /// Reads one DER certificate.
    /// - Parameters:
    ///   - now: the moment `status` and `daysRemaining` refer to.
    ///   - expiringSoonDays: how close to `notAfter` counts as `expiringSoon`.
    ///   - authorities: the issuer table (the built-in one unless a test or configuration supplies another).
    /// - Throws: `CertificateReadError` when the bytes are not an X.509 certificate.
    public init(
        derEncoded bytes: [UInt8], now: Date = Date(), expiringSoonDays: Int = 30,
        authorities: CertificateAuthorityTable = .known
    ) throws {
        let fields: CertificateFields
        do {
            fields = try CertificateFields(derEncoded: bytes)
        } catch let error as CertificateReadError {
            throw error
        } catch {
            throw CertificateReadError(.malformedDER, "not an X.509 certificate: \(error)")
        }
        var warnings: [Message] = []

        subject = DistinguishedNameText(fields.subject)
        issuer = DistinguishedNameText(fields.issuer)
        commonName = subject.commonName
        organization = subject.organization
        serialNumber = SerialNumberText(derIntegerBytes: fields.serialNumber)
        fingerprints = CertificateFingerprints(derEncoded: bytes)
        validity = Validity(notBefore: fields.notBefore, notAfter: fields.notAfter)
        status = CertificateStatus(validity: validity, now: now, expiringSoonDays: expiringSoonDays)
        daysRemaining = CertificateStatus.daysRemaining(validity: validity, now: now)
        evaluatedAt = now

        publicKey = PublicKeyDescription(
            algorithm: fields.publicKeyAlgorithm, parameters: fields.publicKeyParameters, keyBits: fields.publicKeyBits)
        if publicKey.type == .rsa, let bits = publicKey.sizeInBits, bits < 2048 {
            warnings.append(Message("cert.warning.shortRSAKey", ["bits": String(bits)]))
        }
        signatureAlgorithm = SignatureAlgorithmDescription(oid: fields.signatureAlgorithm)
        if signatureAlgorithm.isWeak {
            warnings.append(Message("cert.warning.weakSignature", ["algorithm": signatureAlgorithm.hash ?? signatureAlgorithm.name]))
        }
        if fields.innerSignatureAlgorithm != fields.signatureAlgorithm {
            warnings.append(Message("cert.warning.algorithmMismatch"))
        }

        do {
            keyUsage = try fields.extensions.keyUsage.map(KeyUsageNames.keyUsage) ?? []
        } catch {
            keyUsage = []
            warnings.append(Message("cert.warning.keyUsageUnreadable"))
        }
        do {
            extendedKeyUsage = try fields.extensions.extendedKeyUsage.map(KeyUsageNames.extendedKeyUsage) ?? []
        } catch {
            extendedKeyUsage = []
            warnings.append(Message("cert.warning.extendedKeyUsageUnreadable"))
        }
        do {
            if case .isCertificateAuthority = try fields.extensions.basicConstraints {
                isCertificateAuthority = true
            } else {
                isCertificateAuthority = false
            }
        } catch {
            isCertificateAuthority = false
            warnings.append(Message("cert.warning.basicConstraintsUnreadable"))
        }

        identifiers = VietnameseIdentifier.all(in: subject)
        taxCode = identifiers.lazy.compactMap(\.taxCode).first
        for identifier in identifiers {
            if identifier.kind == .taxCode, identifier.taxCode == nil, let problem = TaxCodeError.of(identifier.value) {
                warnings.append(Message("cert.warning.invalidTaxCode", ["value": identifier.value], parts: ["problem": problem.message]))
            }
        }
        holderKind = HolderKind(identifiers: identifiers)
        provider = authorities.match(issuer: issuer)
        warningMessages = warnings
        let english = Messages.forLanguage(.en)
        self.warnings = warnings.map { english($0) }
    }
}
