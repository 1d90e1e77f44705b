import Foundation
import KysoCore

/// Every text kyso writes goes through here, so no control character from others' data (a token label, a
/// certificate name, a program name in the audit, a daemon message) reaches the terminal raw: whatever the
/// command built, control characters other than its own line breaks and tabs are escaped (TerminalText.output).
/// Values placed inside kyso's own layout (table cells, names in a sentence) are escaped whole first, line breaks
/// included, with TerminalText.field. Written unbuffered, a line at a time, so a pipe (`kyso watch | …`) sees each
/// line as it happens.
enum Output {
    /// `text` and a line break, on standard output.
    static func line(_ text: String) {
        write(text + "\n", to: .standardOutput)
    }

    /// `text` as it is (it carries its own line breaks), on standard output.
    static func text(_ text: String) {
        write(text, to: .standardOutput)
    }

    /// `text` and a line break, on standard error.
    static func error(_ text: String) {
        write(text + "\n", to: .standardError)
    }

    /// `text` as it is, on standard error (a prompt).
    static func errorText(_ text: String) {
        write(text, to: .standardError)
    }

    private static func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(TerminalText.output(text).utf8))
    }
}
