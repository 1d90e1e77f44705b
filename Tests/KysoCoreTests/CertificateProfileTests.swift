import Foundation
import KysoCore
import Testing

/// Each fixture read by Kyso must agree with what `cryptography`/OpenSSL computed when generating it.
@Suite struct CertificateProfileTests {
    @Test(arguments: Fixtures.certificateNames)
    func agreesWithIndependentImplementation(name: String) throws {
        let entry = try #require(Fixtures.manifest.fixtures[name])
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes(name), now: Fixtures.now)
        #expect(profile.serialNumber.hex == entry.serialHex)
        #expect(profile.serialNumber.decimal == entry.serialDecimal)
        #expect(profile.fingerprints.sha1 == entry.sha1)
        #expect(profile.fingerprints.sha256 == entry.sha256)
        #expect(profile.validity.notBefore == entry.notBefore)
        #expect(profile.validity.notAfter == entry.notAfter)
        #expect(profile.subject.rfc4514 == entry.subject)
        #expect(profile.issuer.rfc4514 == entry.issuer)
        #expect(profile.publicKey.type.rawValue == entry.keyType)
        #expect(profile.publicKey.sizeInBits == entry.keySizeInBits)
        #expect(profile.signatureAlgorithm.usesSHA1 == (entry.signatureHash == "sha1"))
        #expect(profile.signatureAlgorithm.hash?.lowercased().replacingOccurrences(of: "-", with: "") == entry.signatureHash)
    }

    @Test(arguments: Fixtures.expectedNames)
    func readsVietnameseFacts(name: String) throws {
        let expect = try #require(Fixtures.manifest.fixtures[name]?.expect)
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes(name), now: Fixtures.now)
        #expect(profile.provider.provider.rawValue == expect.provider)
        #expect(profile.provider.isRemoteSigning == (expect.remoteSigning ?? false))
        #expect(profile.provider.isTest == (expect.test ?? false))
        #expect(profile.holderKind.rawValue == expect.holderKind)
        #expect(profile.identifiers.map { [$0.prefix ?? "", $0.value] } == expect.identifiers)
        #expect(profile.taxCode?.value == expect.taxCode)
        #expect(profile.taxCode?.form.rawValue == expect.taxCodeForm)
        if let issuerCommonName = expect.issuerCommonName {
            #expect(profile.provider.issuerCommonName == issuerCommonName)
        }
        if let commonName = expect.commonName {
            #expect(profile.commonName == commonName)
        }
        if let organization = expect.organization {
            #expect(profile.organization == organization)
        }
        if let invalid = expect.invalidTaxCode {
            let identifier = try #require(profile.identifiers.first { $0.kind == .taxCode })
            #expect(identifier.value == invalid)
            #expect(identifier.taxCode == nil)
            #expect(identifier.taxCodeProblem != nil)
            #expect(profile.warnings.contains { $0.contains(invalid) })
        }
        for (attribute, encoding) in expect.stringTypes ?? [:] {
            let found = profile.subject.attributes.filter { $0.name == attribute }.map(\.encoding.rawValue)
            #expect(found == [encoding], "\(attribute)")
        }
    }

    @Test func keepsLeadingZeroOfSerialAsWindowsShowsIt() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("vnpt-organisation.der"), now: Fixtures.now)
        #expect(profile.serialNumber.hex.hasPrefix("00"))
        #expect(profile.serialNumber.hex == profile.serialNumber.hex.uppercased())
        #expect(!profile.serialNumber.hex.contains(where: { $0 == ":" || $0 == " " }))
    }

    @Test func normalisesDecomposedVietnameseToNFC() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("vnpt-organisation.der"), now: Fixtures.now)
        let province = try #require(profile.subject.values(of: "ST").first)
        #expect(province == "Hà Nội")
        #expect(Array(province.unicodeScalars) == Array("H\u{E0} N\u{1ED9}i".unicodeScalars))
    }

    @Test func readsOldRSA1024SHA1CertificateAndWarns() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("nacencomm-sha1-rsa1024.der"), now: Fixtures.now)
        #expect(profile.publicKey.summary == "RSA 1024")
        #expect(profile.signatureAlgorithm.name == "sha1WithRSAEncryption")
        #expect(profile.signatureAlgorithm.isWeak)
        #expect(profile.warnings.contains { $0.contains("SHA-1") })
        #expect(profile.warnings.contains { $0.contains("1024") })
        #expect(profile.status == .expired)
    }

    @Test func describesECKeysAndUsages() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("fpt-person-ec.der"), now: Fixtures.now)
        #expect(profile.publicKey.summary == "EC P-256")
        #expect(profile.signatureAlgorithm.name == "sha256WithRSAEncryption")
        #expect(profile.keyUsage == ["digitalSignature", "nonRepudiation"])
        #expect(profile.extendedKeyUsage == ["clientAuth", "emailProtection"])
        #expect(!profile.isCertificateAuthority)
        #expect(profile.subject.values(of: "T") == ["Giám đốc"])
        let p384 = try CertificateProfile(derEncoded: Fixtures.bytes("bkav-individual-ec384.der"), now: Fixtures.now)
        #expect(p384.publicKey.summary == "EC P-384")
        #expect(p384.signatureAlgorithm.hash == "SHA-384")
    }

    @Test func reportsCertificateAuthorityAndMissingExtendedUsage() throws {
        let ca = try CertificateProfile(derEncoded: Fixtures.bytes("lab-vnpt-ca.der"), now: Fixtures.now)
        #expect(ca.isCertificateAuthority)
        #expect(ca.keyUsage == ["keyCertSign", "cRLSign"])
        let branch = try CertificateProfile(derEncoded: Fixtures.bytes("viettel-branch.der"), now: Fixtures.now)
        #expect(branch.extendedKeyUsage.isEmpty)
    }

    @Test func statusFollowsInjectedNow() throws {
        let bytes = Fixtures.bytes("vnpt-organisation.der")
        let day: TimeInterval = 86_400
        let notAfter = try CertificateProfile(derEncoded: bytes).validity.notAfter
        #expect(try CertificateProfile(derEncoded: bytes, now: Fixtures.now).status == .valid)
        let soon = try CertificateProfile(derEncoded: bytes, now: notAfter - 10 * day)
        #expect(soon.status == .expiringSoon)
        #expect(soon.daysRemaining == 10)
        #expect(try CertificateProfile(derEncoded: bytes, now: notAfter - 10 * day, expiringSoonDays: 5).status == .valid)
        #expect(try CertificateProfile(derEncoded: bytes, now: notAfter + 1).status == .expired)
        #expect(try CertificateProfile(derEncoded: Fixtures.bytes("expired.der"), now: Fixtures.now).status == .expired)
        let future = try CertificateProfile(derEncoded: Fixtures.bytes("not-yet-valid.der"), now: Fixtures.now)
        #expect(future.status == .notYetValid)
    }

    @Test func encodesJSONWithCamelCaseAndRFC3339Dates() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("viettel-branch-person.der"), now: Fixtures.now)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(profile)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let validity = try #require(object["validity"] as? [String: Any])
        #expect(validity["notAfter"] as? String == "2027-01-01T00:00:00Z")
        #expect(object["holderKind"] as? String == "personInOrganisation")
        #expect((object["serialNumber"] as? [String: Any])?["hex"] as? String == profile.serialNumber.hex)
        #expect((object["taxCode"] as? [String: Any])?["value"] as? String == "0100686209-199")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(CertificateProfile.self, from: data) == profile)
    }

    @Test func rejectsBytesThatAreNotACertificate() {
        #expect(throws: CertificateReadError.self) { try CertificateProfile(derEncoded: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        #expect(throws: CertificateReadError.self) { try CertificateProfile(derEncoded: []) }
    }
}
