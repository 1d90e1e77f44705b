/// The languages Kyso speaks. Codes and field names on the wire never change; only texts follow the language.
public enum Language: String, Sendable, CaseIterable {
    case en, vi

    /// The language of a person's session, the way gettext picks it, read from the environment alone so that it
    /// works on a machine with no generated `vi_VN` locale (setlocale would fail there and fall back to C):
    /// `override` (`--lang vi|en`) first; then the first entry of the colon-separated `LANGUAGE` list that Kyso
    /// has, unless the locale is C/POSIX (gettext ignores `LANGUAGE` then); then the first set one of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG`. English when nothing matches.
    public static func resolve(environment: [String: String], override: String?) -> Language {
        if let override, let language = Language(localeName: override) { return language }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy
            .compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        if isCLocale(locale) { return .en }
        if let list = environment["LANGUAGE"], !list.isEmpty {
            // gettext uses LANGUAGE whenever it is set: entries it has no catalog for are skipped, and when none
            // matches the text stays untranslated (English); the locale is not consulted again.
            return list.split(separator: ":").lazy.compactMap { Language(localeName: String($0)) }.first ?? .en
        }
        return Language(localeName: locale) ?? .en
    }

    /// A locale or language name as POSIX and HTTP write it (`vi`, `vi_VN.UTF-8`, `vi-VN`, `en_US@euro`);
    /// nil for a language Kyso does not have.
    public init?(localeName: String) {
        let code = localeName.prefix { $0.isLetter }.lowercased()
        guard let language = Language(rawValue: code) else { return nil }
        self = language
    }

    /// gettext treats C and POSIX (and an unset locale, which is C) as "no translation, ignore LANGUAGE". C.UTF-8
    /// is the C locale with UTF-8 and is treated the same way.
    static func isCLocale(_ name: String) -> Bool {
        name.isEmpty || name == "C" || name == "POSIX" || name.hasPrefix("C.")
    }

    /// The value of `--lang X` or `--lang=X` among a command line's arguments (before a `--`), and `--vi` (kept from
    /// `kyso cert --vi`) as `vi`; nil when none is given. The last one wins, as with any repeated option.
    public static func override(inArguments arguments: [String]) -> String? {
        var found: String?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == "--lang", index + 1 < arguments.endIndex {
                found = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--lang=") {
                found = String(argument.dropFirst("--lang=".count))
            } else if argument == "--vi" {
                found = Language.vi.rawValue
            }
            index += 1
        }
        return found
    }

    /// The language an HTTP client asked for in `Accept-Language` (RFC 9110 §12.5.4): the highest-weighted range
    /// Kyso has, `*` meaning English; English when the header is absent or names nothing Kyso has.
    public static func negotiate(acceptLanguage header: String?) -> Language {
        guard let header else { return .en }
        var best: (language: Language, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let range = parts.first, !range.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            guard weight > 0, let language = range == "*" ? .en : Language(localeName: range) else { continue }
            // Equal weights keep the first listed, as the client wrote its preference in order.
            if best == nil || weight > best!.weight { best = (language, weight) }
        }
        return best?.language ?? .en
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
