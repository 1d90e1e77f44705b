import Foundation
import KysoCore

/// Certificate profiles and statements for the account tests, from the committed fixtures.
enum AccountFixtures {
    static let now = Fixtures.now  // 2025-06-01T00:00:00Z, inside the fixtures' 2024–2027 validity

    static func profile(_ name: String, now: Date = now) throws -> CertificateProfile {
        try CertificateProfile(derEncoded: Fixtures.bytes(name), now: now)
    }

    /// `profile` as if the CA had issued a renewal: another DER (so another fingerprint and serial), later validity.
    static func renewal(of profile: CertificateProfile, notAfter: Date, tag: UInt8 = 1) -> CertificateProfile {
        var renewed = profile
        renewed.fingerprints = CertificateFingerprints(derEncoded: [0x30, tag] + Array(profile.fingerprints.sha256.utf8))
        renewed.serialNumber = SerialNumberText(derIntegerBytes: [0x7E, tag])
        renewed.validity = Validity(notBefore: profile.validity.notBefore.addingTimeInterval(86_400), notAfter: notAfter)
        return renewed
    }

    static func declarant(_ userId: String, taxCode: String = "0104359717", terminalId: String = "T00001") throws -> AccountFields {
        try AccountFields(role: .declarant, taxCode: taxCode, userId: userId, terminalId: terminalId)
    }

    static func admin(_ taxCode: String) throws -> AccountFields {
        try AccountFields(role: .admin, taxCode: taxCode, userId: nil, terminalId: nil)
    }

    /// A request signed "now - 1 hour" unless told otherwise. The signature bytes are a stand-in: the rules never
    /// read them (the daemon verifies the CMS before asking).
    static func request(
        _ account: AccountFields, _ certificate: CertificateProfile, issuedAt: Date = now.addingTimeInterval(-3600)
    ) throws -> BindingRequest {
        let statement = try RegistrationStatement(
            account: account, certificate: certificate, freshness: .challenge(Array("challenge".utf8)), issuedAt: issuedAt)
        return BindingRequest(statement: statement, signature: [0x30, 0x80, 0x06])
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
