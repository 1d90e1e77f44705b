import Foundation
import KysoCore
import Testing

@Suite struct CertificateAuthorityTableTests {
    private func issuer(_ attributes: (String, String)...) -> DistinguishedNameText {
        DistinguishedNameText(relativeNames: attributes.map { name, value in
            [NameAttribute(name: name, oid: "", value: value, encoding: .utf8String)]
        })
    }

    private func match(_ commonName: String, _ organization: String) -> CertificateAuthorityMatch {
        CertificateAuthorityTable.known.match(issuer: issuer(("C", "VN"), ("O", organization), ("CN", commonName)))
    }

    @Test func nacencommIsCA2OfNacencommAndNothingElse() {
        #expect(match("CA2", "NACENCOMM SCT").provider == .nacencomm)
        #expect(match("ca2", "Nacencomm  SCT").provider == .nacencomm)  // case and spacing only
        #expect(match("CA2", "I-CA LOOKALIKE JSC").provider == .unknown)
        #expect(match("CA2", "I-CA LOOKALIKE JSC").issuerCommonName == "CA2")
        #expect(match("CA2 SHA256", "NACENCOMM SCT").provider == .unknown)
        #expect(match("I-CA", "NACENCOMM SCT").provider == .unknown)
        #expect(match("NACENCOMM SCT", "CA2").provider == .unknown)
    }

    @Test func lookalikesOfOtherProvidersStayUnknown() {
        #expect(match("VNPT Certification Authority", "VNPT Group").provider == .vnpt)
        #expect(match("VNPT Certification Authority", "Not VNPT").provider == .unknown)
        #expect(match("Viettel-CA RS", "Viettel Group").isRemoteSigning)
        #expect(!match("Viettel-CA", "Viettel Group").isRemoteSigning)
        #expect(match("Viettel-CA RS2", "Viettel Group").provider == .unknown)
        #expect(match("FPT Certification Authority", "FPT Corp").provider == .unknown)
        #expect(match("BkavCA", "Bkav Corporation").provider == .bkav)
        #expect(match("BkavCA SHA256", "Bkav Corporation").provider == .bkav)
        #expect(match("NC-CA SHA256", "CÔNG TY CỔ PHẦN CÔNG NGHỆ NCCA").provider == .ncca)
        #expect(match("CMC Certification Authority", "CMC Corporation").provider == .cmc)
        #expect(match("VNPT SmartCA RS", "VIETNAM POSTS AND TELECOMMUNICATIONS GROUP").isRemoteSigning)
    }

    @Test(arguments: [
        ("VNPT Certification Authority TEST", "VNPT Group", CertificateAuthorityProvider.vnpt),
        ("Viettel-CA TEST", "Viettel Group", .viettel),
        ("FPT Certification Authority TEST", "FPT Corporation", .fpt),
        ("BkavCA TEST", "Bkav Corporation", .bkav),
        ("Kyso TEST National Root CA", "Kyso Lab TEST", .kysoLab),
    ])
    func recognisesLabIssuersAsTest(commonName: String, organization: String, provider: CertificateAuthorityProvider) {
        let found = match(commonName, organization)
        #expect(found.provider == provider)
        #expect(found.isTest)
        #expect(found.source?.contains("kyso-lab") == true)
    }

    @Test func everyEntryNotesItsSourceAndIsUnique() throws {
        let entries = CertificateAuthorityTable.known.entries
        #expect(entries.allSatisfy { !$0.source.isEmpty })
        // Each source names a section of a page in this repository, which exists.
        let page = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/certificate-authorities.md"),
                              encoding: .utf8)
        #expect(entries.allSatisfy { $0.source.hasPrefix("docs/certificate-authorities.md#") })
        #expect(page.contains("## Licensed CAs") && page.contains("## The Kyso lab's TEST PKI"))
        let keys = entries.map { "\($0.commonName.lowercased())|\($0.organization.lowercased())" }
        #expect(Set(keys).count == keys.count)
        for entry in entries {
            #expect(match(entry.commonName, entry.organization).provider == entry.provider)
        }
    }

    @Test func ambiguousEntriesMeanUnknown() {
        let table = CertificateAuthorityTable(entries: [
            .init(.vnpt, commonName: "Same", organization: "Org", source: "test"),
            .init(.fpt, commonName: "Same", organization: "Org", source: "test"),
        ])
        #expect(table.match(issuer: issuer(("O", "Org"), ("CN", "Same"))).provider == .unknown)
    }

    @Test func issuerWithoutCommonNameIsUnknown() {
        #expect(CertificateAuthorityTable.known.match(issuer: issuer(("O", "NACENCOMM SCT"))).provider == .unknown)
    }
}
