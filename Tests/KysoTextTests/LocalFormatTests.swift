import Foundation
import Testing
import KysoText

@Suite struct LocalFormatTests {
    let moment = Date(timeIntervalSince1970: 1_796_425_509)  // 2026-12-04T23:05:09Z

    @Test func vietnameseDatesAreDayMonthYearInLocalTime() throws {
        let hanoi = try #require(TimeZone(identifier: "Asia/Ho_Chi_Minh"))
        let vi = Messages.forLanguage(.vi)
        #expect(vi.date(moment, timeZone: hanoi) == "05/12/2026")
        #expect(vi.dateTime(moment, timeZone: hanoi) == "06:05:09 05/12/2026")
        #expect(vi.date(moment, timeZone: TimeZone(identifier: "UTC")!) == "04/12/2026")
    }

    @Test func englishDatesStayISO() {
        let en = Messages.forLanguage(.en)
        #expect(en.date(moment) == "2026-12-04")
        #expect(en.dateTime(moment) == "2026-12-04T23:05:09Z")
    }

    @Test func numbers() {
        #expect(Messages.forLanguage(.vi).number(1_234_567) == "1.234.567")
        #expect(Messages.forLanguage(.vi).number(-999) == "-999")
        #expect(Messages.forLanguage(.en).number(1_234_567) == "1234567")
    }

    @Test func displayWidthCountsColumns() {
        #expect(displayWidth("Trạng thái") == 10)
        // The same word decomposed: e + combining circumflex + combining acute is one column.
        #expect(displayWidth("Ki\u{0065}\u{0302}\u{0301}m tra") == 8)
        #expect("Kiểm tra".utf8.count == 10)
        #expect(displayWidth("漢字") == 4)
        #expect(displayWidth("a\u{200B}b") == 2)
        #expect(padded("Mã PIN", toWidth: 8) == "Mã PIN  ")
        #expect(padded("Ki\u{0065}\u{0302}\u{0301}m", toWidth: 6) == "Ki\u{0065}\u{0302}\u{0301}m  ")
    }
}
