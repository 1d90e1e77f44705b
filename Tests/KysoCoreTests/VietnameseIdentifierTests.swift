import KysoCore
import Testing

@Suite struct VietnameseIdentifierTests {
    @Test(arguments: [
        ("MST:0104359717", "MST", VietnameseIdentifier.Prefix.taxCode, "0104359717"),
        ("mst: 0104359717", "MST", .taxCode, "0104359717"),
        ("CCCD:025199009534", "CCCD", .citizenID, "025199009534"),
        ("CMND:079073009568", "CMND", .identityCard, "079073009568"),
        ("HC:B1234567", "HC", .passport, "B1234567"),
        ("MNS:1047665", "MNS", .budgetRelationship, "1047665"),
        ("BHXH:0123456789", "BHXH", .socialInsurance, "0123456789"),
        ("PID:036199001234", "PID", .personalID, "036199001234"),
        ("PPID:AB12345", "PPID", .ppid, "AB12345"),
    ])
    func splitsKnownPrefixes(raw: String, prefix: String, kind: VietnameseIdentifier.Prefix, value: String) {
        let identifier = VietnameseIdentifier(raw: raw)
        #expect(identifier.prefix == prefix)
        #expect(identifier.kind == kind)
        #expect(identifier.value == value)
        #expect(identifier.raw == raw)
    }

    @Test func keepsUnknownPrefixesAsWritten() {
        let identifier = VietnameseIdentifier(raw: "Xyz:ABC:42")
        #expect(identifier.prefix == "Xyz")
        #expect(identifier.kind == nil)
        #expect(identifier.value == "ABC:42")
        let bare = VietnameseIdentifier(raw: "0104359717")
        #expect(bare.prefix == nil)
        #expect(bare.kind == nil)
        #expect(bare.taxCode == nil)
    }

    @Test func validatesTaxCodeIdentifiers() {
        #expect(VietnameseIdentifier(raw: "MST:0100686209-199").taxCode?.form == .branch)
        let bad = VietnameseIdentifier(raw: "MST:0104359718")
        #expect(bad.taxCode == nil)
        #expect(bad.taxCodeProblem?.contains("check digit") == true)
    }

    @Test(arguments: [
        (["MST:0104359717"], HolderKind.organisation),
        (["MST:0100686209-001"], .branch),
        (["MST:0100686209-199", "CCCD:025199009534"], .personInOrganisation),
        (["CMND:079073009568", "MST:0301824642"], .personInOrganisation),
        (["CCCD:001199012345"], .individual),
        (["MST:001199012345"], .individual),
        (["PID:036199001234", "HC:B1234567"], .individual),
        (["MST:0400260612", "MNS:1047665"], .budgetUnit),
        (["MST:0104359718"], .unknown),
        ([], .unknown),
        (["XYZ:1"], .unknown),
    ])
    func classifiesHolder(raw: [String], kind: HolderKind) {
        #expect(HolderKind(identifiers: raw.map(VietnameseIdentifier.init(raw:))) == kind)
    }
}
