/// One language's catalog, loaded: `text("doctor.pin.locked", ["token": name])`.
///
/// The catalogs are gettext PO files in Sources/KysoText/po, embedded into the binaries at build time by the
/// EmbedCatalog build-tool plugin (Plugins/EmbedCatalog): kyso and kysod are single files in /usr/bin after
/// `make install` or from the Debian package, and SwiftPM resource bundles are not installed beside them, so a
/// catalog read from disk at run time would be missing there. The PO files stay the only source (no generated
/// file is checked in that merges could leave out of step), and the choice of language never goes through
/// setlocale or glibc's gettext, so it works on machines with no generated vi_VN locale.
public struct Messages: Sendable {
    public let language: Language
    private let texts: [String: String]
    private let english: [String: String]

    /// The catalog of `language`; keys it lacks fall back to English.
    public static func forLanguage(_ language: Language) -> Messages {
        Messages(language: language, texts: loaded[language] ?? [:], english: loaded[.en] ?? [:])
    }

    /// The text of `key` with each `{name}` replaced by `arguments[name]`. A key missing in this language gives
    /// the English text, a key missing everywhere gives the key itself (KysoTextTests checks none is missing).
    public func callAsFunction(_ key: String, _ arguments: [String: String] = [:]) -> String {
        let template = texts[key] ?? english[key] ?? key
        return arguments.isEmpty ? template : Self.substitute(arguments, into: template)
    }

    /// The raw text of `key` in this language only (no fallback), `{parameters}` unreplaced; for tests and tools.
    public func template(_ key: String) -> String? { texts[key] }

    /// Every key this language's catalog has.
    public var keys: [String] { Array(texts.keys) }

    /// The `{name}` parameters a template uses.
    public static func parameterNames(in template: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let name = after[..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) { names.insert(String(name)) }
            rest = after[after.index(after: close)...]
        }
        return names
    }

    private static func substitute(_ arguments: [String: String], into template: String) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = arguments[String(after[..<close])] {
                result += value
                rest = after[after.index(after: close)...]
            } else {
                result += "{"
                rest = after
            }
        }
        return result + rest
    }

    /// Parsed once per process from the embedded PO texts.
    private static let loaded: [Language: [String: String]] = {
        var catalogs: [Language: [String: String]] = [:]
        for (name, text) in embeddedCatalogs {
            guard let language = Language(rawValue: name) else { continue }
            catalogs[language] = POCatalog(parsing: text).entries
        }
        return catalogs
    }()
}
