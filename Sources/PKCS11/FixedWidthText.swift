/// PKCS#11 info structures hold text as fixed-width, blank-padded byte arrays.
///
/// Tokens fill them with UTF-8 cut at a byte limit (OpenSC cuts a long Vietnamese label in the middle of a
/// character), so decoding drops the padding and repairs a truncated tail instead of failing.
enum FixedWidthText {
    static func decode<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in decode(bytes: Array(raw)) }
    }

    /// The field's bytes as text: padding dropped, and a character cut at the byte limit left out, whether it ends
    /// the field or stands before the "..." OpenSC appends to a label it shortened ("PHƯ\u{FFFD}..." → "PHƯ...").
    static func decode(bytes: [UInt8]) -> String {
        var bytes = bytes
        while let last = bytes.last, last == 0x20 || last == 0x00 { bytes.removeLast() }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("...") else { return text.droppingTrailingReplacementCharacters() }
        return String(text.dropLast(3)).droppingTrailingReplacementCharacters() + "..."
    }

    /// Writes `text` into a fixed-width field, blank-padded, as p11-kit expects when matching and formatting URIs.
    static func encode<T>(_ text: String, into tuple: inout T) {
        withUnsafeMutableBytes(of: &tuple) { raw in
            let utf8 = Array(text.utf8.prefix(raw.count))
            for index in raw.indices { raw[index] = index < utf8.count ? utf8[index] : 0x20 }
        }
    }
}

extension String {
    /// A character cut at the end decodes to U+FFFD; drop it rather than show noise.
    fileprivate func droppingTrailingReplacementCharacters() -> String {
        var text = self
        while text.last == "\u{FFFD}" { text.removeLast() }
        return text
    }
}
