public import Foundation

/// A VNACCS account tied to one certificate by a signed registration statement: what the store keeps.
public struct AccountBinding: Sendable, Hashable {
    public let account: AccountFields
    public let certificate: BoundCertificate
    /// The registration statement's canonical bytes, exactly as signed.
    public let statement: [UInt8]
    /// The detached CMS SignedData (DER) over `statement`.
    public let signature: [UInt8]
    /// Whole seconds.
    public let createdAt: Date

    public init(
        account: AccountFields, certificate: BoundCertificate, statement: [UInt8], signature: [UInt8], createdAt: Date
    ) {
        self.account = account
        self.certificate = certificate
        self.statement = statement
        self.signature = signature
        self.createdAt = createdAt.wholeSeconds
    }

    /// Where it is stored and addressed: the User ID, or the tax code for an admin account.
    public var key: AccountKey { account.key }
}

/// The certificate a binding names, with enough about its holder to recognise a renewal once it is gone.
public struct BoundCertificate: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the DER: the certificate's identity.
    public let sha256: String
    /// Uppercase hex serial.
    public let serialNumber: String
    /// RFC 4514 issuer.
    public let issuer: String
    /// `CertificateAuthorityProvider` raw value.
    public let provider: String
    /// The certificate's own tax code (the account's, or a branch of it).
    public let taxCode: TaxCode
    public let notBefore: Date
    public let notAfter: Date
    public let holder: CertificateHolder

    public init(
        sha256: String, serialNumber: String, issuer: String, provider: String, taxCode: TaxCode, notBefore: Date,
        notAfter: Date, holder: CertificateHolder
    ) {
        self.sha256 = sha256
        self.serialNumber = serialNumber
        self.issuer = issuer
        self.provider = provider
        self.taxCode = taxCode
        self.notBefore = notBefore.wholeSeconds
        self.notAfter = notAfter.wholeSeconds
        self.holder = holder
    }

    /// From a profile; nil when the certificate has no valid tax code.
    public init?(profile: CertificateProfile) {
        guard let taxCode = profile.taxCode else { return nil }
        self.init(
            sha256: profile.fingerprints.sha256, serialNumber: profile.serialNumber.hex, issuer: profile.issuer.rfc4514,
            provider: profile.provider.provider.rawValue, taxCode: taxCode, notBefore: profile.validity.notBefore,
            notAfter: profile.validity.notAfter, holder: CertificateHolder(profile: profile))
    }

    public var validity: Validity { Validity(notBefore: notBefore, notAfter: notAfter) }
}
