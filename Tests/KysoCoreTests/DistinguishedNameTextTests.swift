import KysoCore
import Testing

@Suite struct DistinguishedNameTextTests {
    @Test func rendersRFC4514OrderAndEscaping() {
        let name = DistinguishedNameText(relativeNames: [
            [NameAttribute(name: "C", oid: "2.5.4.6", value: "VN", encoding: .printableString)],
            [NameAttribute(name: "O", oid: "2.5.4.10", value: "A, B + \"C\"; <D>\\", encoding: .utf8String)],
            [
                NameAttribute(name: "CN", oid: "2.5.4.3", value: "#x", encoding: .utf8String),
                NameAttribute(name: "UID", oid: "0.9.2342.19200300.100.1.1", value: " MST:1 ", encoding: .utf8String),
            ],
        ])
        #expect(name.rfc4514 == ##"CN=\#x+UID=\ MST:1\ ,O=A\, B \+ \"C\"\; \<D\>\\,C=VN"##)
        #expect(name.commonName == "#x")
    }

    @Test func leavesHexFormOfNonStringsUnescaped() {
        let name = DistinguishedNameText(relativeNames: [
            [NameAttribute(name: "1.2.3", oid: "1.2.3", value: "#020101", encoding: .notAString)]
        ])
        #expect(name.rfc4514 == "1.2.3=#020101")
    }
}
