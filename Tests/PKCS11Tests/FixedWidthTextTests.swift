@testable import PKCS11
import Testing

/// Token labels are 32 bytes of UTF-8; Vietnamese names outgrow them, and tokens cut them where the bytes end.
@Suite("fixed-width PKCS#11 text")
struct FixedWidthTextTests {
    static func field(_ bytes: [UInt8]) -> [UInt8] { bytes + Array(repeating: 0x20, count: max(0, 32 - bytes.count)) }

    @Test("padding goes; a whole Vietnamese label stays as it is")
    func padding() {
        #expect(FixedWidthText.decode(bytes: Self.field(Array("Nhung Việt Á".utf8))) == "Nhung Việt Á")
    }

    @Test("a character cut at the field's end is left out")
    func cutAtTheEnd() {
        let ư = Array("Ư".utf8)
        #expect(ư.count == 2)
        let bytes = Array("CÔNG TY TNHH DỆT MAY PH".utf8) + [ư[0]]
        #expect(FixedWidthText.decode(bytes: Self.field(bytes)) == "CÔNG TY TNHH DỆT MAY PH")
    }

    /// What OpenSC made of a PIV card labelled "CÔNG TY TNHH DỆT MAY PHƯƠNG ĐÔNG" (`make demo`'s kyso watch showed
    /// "PHƯ\u{FFFD}..."): it cut inside "Ơ" and appended "...".
    @Test("a character cut before OpenSC's \"...\" is left out, the dots stay")
    func cutBeforeEllipsis() {
        let ơ = Array("Ơ".utf8)
        let bytes = Array("CÔNG TY TNHH DỆT MAY PHƯ".utf8) + [ơ[0]] + Array("...".utf8)
        #expect(FixedWidthText.decode(bytes: Self.field(bytes)) == "CÔNG TY TNHH DỆT MAY PHƯ...")
    }
}
