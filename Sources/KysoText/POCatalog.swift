/// A gettext PO file read into key → text. Kyso's catalogs are monolingual, keyed PO: `msgid` is a stable key
/// (`doctor.pcsc.noReaders`), `msgstr` the text in the file's language, with `{name}` parameters; translators' tools
/// (Poedit, Weblate, Lokalize) edit them as they are. Only what Kyso writes is read: comments, `msgctxt`-free
/// entries, strings continued over several quoted lines, and C escapes. Plural forms are not used (Vietnamese has
/// none; English texts are written so they need none).
struct POCatalog: Sendable {
    /// key → text; the header (empty msgid) and empty msgstr (untranslated) entries are left out.
    var entries: [String: String] = [:]

    init(parsing text: String) {
        var key: String?
        var value: String?
        var current: Field = .none
        func finish() {
            if let key, let value, !key.isEmpty, !value.isEmpty { entries[key] = value }
            key = nil
            value = nil
            current = .none
        }
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") {
                if line.isEmpty { finish() }
                continue
            }
            if line.hasPrefix("msgid ") {
                finish()
                key = Self.unquote(line.dropFirst("msgid ".count))
                current = .key
            } else if line.hasPrefix("msgstr ") {
                value = Self.unquote(line.dropFirst("msgstr ".count))
                current = .value
            } else if line.hasPrefix("\"") {
                switch current {
                case .key: key = (key ?? "") + Self.unquote(line)
                case .value: value = (value ?? "") + Self.unquote(line)
                case .none: break
                }
            }
        }
        finish()
    }

    private enum Field { case none, key, value }

    /// The contents of one `"…"` with PO's C escapes (`\n`, `\t`, `\"`, `\\`) undone.
    static func unquote(_ quoted: Substring) -> String {
        var body = quoted.drop { $0 == " " }
        guard body.first == "\"" else { return "" }
        body = body.dropFirst()
        if let end = body.lastIndex(of: "\"") { body = body[..<end] }
        var result = ""
        var escaping = false
        for character in body {
            if escaping {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
