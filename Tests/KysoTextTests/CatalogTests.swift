import Foundation
import Testing
@testable import KysoText

/// The catalogs as the binaries carry them (embedded at build time from po/*.po).
@Suite struct CatalogTests {
    @Test func everyKeyHasBothLanguagesWithTheSameParameters() {
        let english = Messages.forLanguage(.en)
        let vietnamese = Messages.forLanguage(.vi)
        #expect(english.keys.count > 0)
        #expect(Set(english.keys).symmetricDifference(vietnamese.keys).sorted() == [])
        for key in english.keys.sorted() {
            let en = english.template(key) ?? ""
            let vi = vietnamese.template(key) ?? ""
            #expect(Messages.parameterNames(in: en) == Messages.parameterNames(in: vi), "\(key): \(en) | \(vi)")
        }
    }

    @Test func vietnameseTextsAreTranslatedNotCopied() {
        // A Vietnamese entry equal to the English one is an untranslated copy, unless it holds no words at all.
        let english = Messages.forLanguage(.en)
        let vietnamese = Messages.forLanguage(.vi)
        let copied = english.keys.filter { key in
            let text = english.template(key) ?? ""
            let words = text.replacingOccurrences(of: #"\{[A-Za-z0-9]+\}"#, with: "", options: .regularExpression)
                .split { !$0.isLetter }.map(String.init)
            return text == vietnamese.template(key) && !words.allSatisfy(Self.names.contains) && !Self.sameInBoth.contains(key)
        }
        #expect(copied.sorted() == [])
    }

    /// Names and abbreviations written the same in both languages.
    static let names: Set<String> = ["kyso", "kysod", "HTTP", "SHA", "ID", "PIN", "CA", "MST", "ATR", "URI", "TOKEN", "OCSP", "UID", "PID", "PC", "SC", "pcscd"]
    /// Texts written the same way in both languages (terms the customs system itself uses in English).
    static let sameInBoth: Set<String> = []

    @Test func parametersAreFilledInByName() {
        let vietnamese = Messages.forLanguage(.vi)
        #expect(vietnamese("days.left", ["days": "12"]) == "còn 12 ngày")
        #expect(Messages.forLanguage(.en)("days.left", ["days": "12"]) == "12 days left")
    }

    @Test func aMissingKeyFallsBackToEnglishThenToTheKey() {
        #expect(Messages.forLanguage(.vi)("no.such.key") == "no.such.key")
        #expect(Messages.parameterNames(in: "{a} and {b}, not { c } or {}") == ["a", "b"])
    }

    @Test func poContinuationLinesAndEscapesAreRead() {
        let catalog = POCatalog(parsing: """
            # a comment
            msgid ""
            msgstr "Language: vi\\n"

            #. for translators
            msgid "a.key"
            msgstr ""
            "first \\"quoted\\" "
            "second\\n"

            msgid "untranslated"
            msgstr ""
            """)
        #expect(catalog.entries == ["a.key": "first \"quoted\" second\n"])
    }
}
