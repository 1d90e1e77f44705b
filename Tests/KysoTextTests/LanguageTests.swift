import Testing
import KysoText

/// The language chosen the gettext way, from the environment only (no locale needs to be generated).
@Suite struct LanguageTests {
    @Test(arguments: [
        // LANGUAGE is a preference list; the first entry Kyso has wins.
        (["LANGUAGE": "vi:en", "LANG": "en_US.UTF-8"], nil, Language.vi),
        (["LANGUAGE": "fr:vi", "LANG": "en_US.UTF-8"], nil, .vi),
        (["LANGUAGE": "en:vi", "LANG": "vi_VN.UTF-8"], nil, .en),
        // ...but not when the locale is C or POSIX: gettext ignores LANGUAGE then.
        (["LANGUAGE": "vi", "LC_ALL": "C"], nil, .en),
        (["LANGUAGE": "vi", "LANG": "POSIX"], nil, .en),
        (["LANGUAGE": "vi"], nil, .en),
        (["LC_ALL": "C", "LANG": "vi_VN.UTF-8"], nil, .en),
        // LC_ALL, then LC_MESSAGES, then LANG.
        (["LANG": "vi_VN.UTF-8"], nil, .vi),
        (["LANG": "vi_VN"], nil, .vi),
        (["LC_MESSAGES": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"], nil, .vi),
        (["LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "vi_VN.UTF-8"], nil, .en),
        (["LC_ALL": "", "LANG": "vi_VN.UTF-8"], nil, .vi),
        (["LANG": "fr_FR.UTF-8"], nil, .en),
        ([:], nil, .en),
        // --lang overrides everything.
        (["LANG": "vi_VN.UTF-8"], "en", .en),
        (["LC_ALL": "C"], "vi", .vi),
        (["LANGUAGE": "en", "LANG": "en_US.UTF-8"], "vi_VN", .vi),
        // An override Kyso does not have is ignored.
        (["LANG": "vi_VN.UTF-8"], "fr", .vi),
    ] as [([String: String], String?, Language)])
    func resolves(environment: [String: String], override: String?, expected: Language) {
        #expect(Language.resolve(environment: environment, override: override) == expected)
    }

    @Test func theOverrideIsReadFromTheCommandLine() {
        #expect(Language.override(inArguments: ["tokens", "--lang", "vi"]) == "vi")
        #expect(Language.override(inArguments: ["--lang=en", "doctor"]) == "en")
        #expect(Language.override(inArguments: ["cert", "--vi", "a.pem"]) == "vi")
        #expect(Language.override(inArguments: ["cert", "--", "--vi"]) == nil)
        #expect(Language.override(inArguments: ["tokens"]) == nil)
    }

    @Test(arguments: [
        (nil, Language.en), ("vi", .vi), ("vi-VN,vi;q=0.9,en;q=0.8", .vi), ("en-US,en;q=0.9,vi;q=0.8", .en),
        ("fr, vi;q=0.5", .vi), ("en;q=0.2, vi;q=0.9", .vi), ("vi;q=0", .en), ("*", .en), ("de", .en), ("", .en),
    ] as [(String?, Language)])
    func acceptLanguage(header: String?, expected: Language) {
        #expect(Language.negotiate(acceptLanguage: header) == expected)
    }
}
