public import Foundation

/// What a registrant signs on the token to prove that a certificate's key is theirs and that they mean to tie it
/// to a VNACCS account.
///
/// The signed form is canonical JSON (keys sorted, no whitespace, RFC 8785 string escaping), for example:
/// ```
/// {"certificate":{"issuer":"CN=VNPT…","notAfter":"2027-01-01T00:00:00Z","notBefore":"2024-01-01T00:00:00Z",
///  "provider":"vnpt","serialNumber":"0F54…","sha256":"3f26…","taxCode":"0104359717"},"issuedAt":"2025-06-01T08:00:00Z",
///  "nonce":"q83v…","role":"declarant","taxCode":"0104359717","terminalId":"T00001","userId":"AB123001","version":1}
/// ```
/// (shown wrapped). `userId` and `terminalId` appear for a declarant only; exactly one of `challenge` (the
/// caller's, base64) and `nonce` (32 fresh random bytes, base64) appears. The portal's own signed payload is not
/// public, so this is Kyso's format: version 1.
public struct RegistrationStatement: Sendable, Hashable {
    public static let currentVersion = 1
    /// A caller's challenge may be up to this many bytes: enough for any nonce or hash, small enough to log-proof.
    public static let maximumChallengeLength = 1024
    public static let nonceLength = 32

    /// What makes this statement unrepeatable.
    public enum Freshness: Sendable, Hashable {
        /// Bytes the verifier chose and sent to the registrant.
        case challenge([UInt8])
        /// 32 random bytes the signer chose.
        case nonce([UInt8])

        /// 32 bytes from the system's secure generator.
        public static func freshNonce() -> Freshness {
            var generator = SystemRandomNumberGenerator()
            return freshNonce(using: &generator)
        }

        /// 32 bytes from `generator` (tests pass a seeded one).
        public static func freshNonce(using generator: inout some RandomNumberGenerator) -> Freshness {
            .nonce((0..<RegistrationStatement.nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        }
    }

    /// The certificate as the statement names it.
    public struct Certificate: Sendable, Hashable {
        /// Uppercase hex of the DER serial (leading `00` kept), as VNACCS registration asks for it.
        public let serialNumber: String
        /// RFC 4514 text of the issuer.
        public let issuer: String
        /// `CertificateAuthorityProvider` raw value (`vnpt`, `viettel`, …, `unknown`).
        public let provider: String
        /// The certificate's own tax code (may be a branch of the account's).
        public let taxCode: TaxCode
        public let notBefore: Date
        public let notAfter: Date
        /// Lowercase hex SHA-256 of the certificate's DER.
        public let sha256: String

        /// Takes the fields from a profile; a certificate without a valid tax code cannot back an account.
        public init(profile: CertificateProfile) throws(RegistrationStatementError) {
            guard let taxCode = profile.taxCode else {
                throw RegistrationStatementError(
                    .certificateHasNoTaxCode,
                    "the certificate carries no valid tax code (UID=MST:…), so it cannot be registered to a VNACCS account")
            }
            self.init(
                serialNumber: profile.serialNumber.hex, issuer: profile.issuer.rfc4514,
                provider: profile.provider.provider.rawValue, taxCode: taxCode,
                notBefore: profile.validity.notBefore, notAfter: profile.validity.notAfter,
                sha256: profile.fingerprints.sha256)
        }

        init(
            serialNumber: String, issuer: String, provider: String, taxCode: TaxCode, notBefore: Date, notAfter: Date,
            sha256: String
        ) {
            self.serialNumber = serialNumber
            self.issuer = issuer
            self.provider = provider
            self.taxCode = taxCode
            self.notBefore = notBefore.wholeSeconds
            self.notAfter = notAfter.wholeSeconds
            self.sha256 = sha256
        }
    }

    public let version: Int
    public let account: AccountFields
    public let certificate: Certificate
    public let freshness: Freshness
    /// Whole seconds.
    public let issuedAt: Date

    /// A new statement. Does not judge the account against the certificate: `BindingRules` does that.
    public init(
        account: AccountFields, certificate profile: CertificateProfile, freshness: Freshness, issuedAt: Date
    ) throws(RegistrationStatementError) {
        try self.init(
            version: Self.currentVersion, account: account, certificate: try Certificate(profile: profile),
            freshness: freshness, issuedAt: issuedAt)
    }

    private init(
        version: Int, account: AccountFields, certificate: Certificate, freshness: Freshness, issuedAt: Date
    ) throws(RegistrationStatementError) {
        switch freshness {
        case .challenge(let bytes) where bytes.isEmpty || bytes.count > Self.maximumChallengeLength:
            throw RegistrationStatementError(
                .invalidChallenge, "the challenge has \(bytes.count) bytes; it must have 1 to \(Self.maximumChallengeLength)")
        case .nonce(let bytes) where bytes.count != Self.nonceLength:
            throw RegistrationStatementError(.invalidNonce, "the nonce has \(bytes.count) bytes; it must have 32")
        default:
            break
        }
        self.version = version
        self.account = account
        self.certificate = certificate
        self.freshness = freshness
        self.issuedAt = issuedAt.wholeSeconds
    }

    /// The bytes to sign and to store.
    public var canonicalBytes: [UInt8] {
        let certificateMembers: [String: CanonicalJSON] = [
            "serialNumber": .string(certificate.serialNumber),
            "issuer": .string(certificate.issuer),
            "provider": .string(certificate.provider),
            "taxCode": .string(certificate.taxCode.value),
            "notBefore": .string(RFC3339Seconds.string(from: certificate.notBefore)),
            "notAfter": .string(RFC3339Seconds.string(from: certificate.notAfter)),
            "sha256": .string(certificate.sha256),
        ]
        var members: [String: CanonicalJSON] = [
            "version": .integer(version),
            "role": .string(account.role.rawValue),
            "taxCode": .string(account.taxCode.value),
            "certificate": .object(certificateMembers),
            "issuedAt": .string(RFC3339Seconds.string(from: issuedAt)),
        ]
        if let userId = account.userId { members["userId"] = .string(userId.value) }
        if let terminalId = account.terminalId { members["terminalId"] = .string(terminalId.value) }
        switch freshness {
        case .challenge(let bytes): members["challenge"] = .string(Data(bytes).base64EncodedString())
        case .nonce(let bytes): members["nonce"] = .string(Data(bytes).base64EncodedString())
        }
        return CanonicalJSON.object(members).bytes
    }

    /// Reads a statement and insists it is canonical: re-encoding gives back exactly `bytes`, so what was signed is
    /// exactly what is shown and stored.
    public init(canonicalBytes bytes: some Collection<UInt8>) throws(RegistrationStatementError) {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw RegistrationStatementError(.malformed, "the statement is not JSON of the registration statement's shape")
        }
        guard wire.version == Self.currentVersion else {
            throw RegistrationStatementError(
                .unsupportedVersion, "statement version \(wire.version) is not supported; this Kyso reads version \(Self.currentVersion)")
        }
        let account: AccountFields
        do {
            account = try AccountFields(
                role: wire.role, taxCode: wire.taxCode, userId: wire.userId, terminalId: wire.terminalId)
        } catch {
            throw RegistrationStatementError(.invalidField, "statement account fields: \(error.reason)")
        }
        let certificateTaxCode: TaxCode
        do {
            certificateTaxCode = try TaxCode(wire.certificate.taxCode)
        } catch {
            throw RegistrationStatementError(.invalidField, "statement certificate tax code: \(error)")
        }
        guard let notBefore = RFC3339Seconds.date(from: wire.certificate.notBefore),
            let notAfter = RFC3339Seconds.date(from: wire.certificate.notAfter),
            let issuedAt = RFC3339Seconds.date(from: wire.issuedAt)
        else {
            throw RegistrationStatementError(.invalidField, "statement dates must be RFC 3339 UTC with whole seconds")
        }
        guard wire.certificate.sha256.utf8.count == 64,
            wire.certificate.sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw RegistrationStatementError(.invalidField, "statement certificate sha256 must be 64 lowercase hex digits")
        }
        let freshness: Freshness
        switch (wire.challenge, wire.nonce) {
        case (let challenge?, nil):
            guard let data = Data(base64Encoded: challenge) else {
                throw RegistrationStatementError(.invalidChallenge, "the challenge is not valid base64")
            }
            freshness = .challenge(Array(data))
        case (nil, let nonce?):
            guard let data = Data(base64Encoded: nonce) else {
                throw RegistrationStatementError(.invalidNonce, "the nonce is not valid base64")
            }
            freshness = .nonce(Array(data))
        default:
            throw RegistrationStatementError(.challengeAndNonce, "a statement carries exactly one of challenge and nonce")
        }
        let certificate = Certificate(
            serialNumber: wire.certificate.serialNumber, issuer: wire.certificate.issuer,
            provider: wire.certificate.provider, taxCode: certificateTaxCode, notBefore: notBefore, notAfter: notAfter,
            sha256: wire.certificate.sha256)
        try self.init(
            version: wire.version, account: account, certificate: certificate, freshness: freshness, issuedAt: issuedAt)
        guard canonicalBytes.elementsEqual(bytes) else {
            throw RegistrationStatementError(
                .notCanonical,
                "the statement is not in canonical form (sorted keys, no whitespace, canonical field values, no extra keys)")
        }
    }

    /// The JSON shape, all text, so that validation and canonical comparison happen here rather than in a decoder.
    private struct Wire: Decodable {
        struct Certificate: Decodable {
            var serialNumber: String
            var issuer: String
            var provider: String
            var taxCode: String
            var notBefore: String
            var notAfter: String
            var sha256: String
        }
        var version: Int
        var role: String
        var taxCode: String
        var userId: String?
        var terminalId: String?
        var certificate: Certificate
        var challenge: String?
        var nonce: String?
        var issuedAt: String
    }
}

extension Date {
    /// Rounded down to the second: statements and the store keep whole seconds.
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
