/// Text from others made safe to show on a terminal: token labels, certificate names, reader and module names, the
/// audit's program names, the daemon's messages. A control character in them could move the cursor, retitle the
/// window, rewrite what the admin already read, or (through an escape sequence) make some terminals answer back, so
/// each one is written as a visible `\u001b`-style escape instead. That form is also a JSON string escape, so JSON
/// output stays valid JSON with the same meaning.
public enum TerminalText {
    /// One value (a table cell, a name inside a sentence): every control character is escaped, line breaks and
    /// tabs too, so a value cannot forge a line or a column of its own.
    public static func field(_ text: String) -> String {
        escaping(text) { isControl($0) }
    }

    /// A whole output written by kyso: control characters are escaped except the line breaks and tabs that kyso's
    /// own layout uses.
    public static func output(_ text: String) -> String {
        escaping(text) { isControl($0) && $0 != "\n" && $0 != "\t" }
    }

    /// C0 (U+0000–U+001F, ESC among them), DEL (U+007F) and C1 (U+0080–U+009F, CSI among them).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func escaping(_ text: String, _ needsEscape: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
        }
        return String(result)
    }
}
