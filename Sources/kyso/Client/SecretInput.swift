import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where `kyso bind` and `kyso rebind` read an account's terminal access key and VNACCS password from: a file
/// descriptor or a prompt without echo, never the command line (argv is visible to every user in `ps`).
struct SecretInput: ParsableArguments {
    @Option(name: .customLong("secrets-fd"), help: ArgumentHelp(
        "Read the secrets from this file descriptor: line 1 the terminal access key, line 2 the VNACCS password (an empty or missing line stores none).",
        valueName: "N"))
    var secretsFD: Int32?

    @Flag(name: .customLong("ask-secrets"), help: "Ask for the terminal access key and the password on the terminal, without echo (empty skips).")
    var askSecrets = false

    struct Secrets {
        var terminalAccessKey: String?
        var password: String?
    }

    func validate() throws {
        if secretsFD != nil && askSecrets { throw ValidationError("use --secrets-fd or --ask-secrets, not both") }
    }

    /// The secrets to store, or none when neither option is given.
    func read() throws -> Secrets {
        if let secretsFD {
            let lines = try Self.lines(of: secretsFD, maximum: 2)
            return Secrets(terminalAccessKey: lines.first.flatMap(Self.nonEmpty), password: lines.dropFirst().first.flatMap(Self.nonEmpty))
        }
        if askSecrets {
            guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("no terminal to ask for the secrets: use --secrets-fd N") }
            let key = try TerminalPrompt.askWithoutEcho("Terminal access key (empty for none): ")
            let password = try TerminalPrompt.askWithoutEcho("VNACCS password (empty for none): ")
            return Secrets(terminalAccessKey: Self.nonEmpty(key), password: Self.nonEmpty(password))
        }
        return Secrets()
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// Up to `maximum` lines (without their line ends); reading stops there, so the rest of the stream is left alone.
    private static func lines(of fd: Int32, maximum: Int) throws -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        var byte: UInt8 = 0
        var sawAnything = false
        while lines.count < maximum {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0 { throw ValidationError("cannot read file descriptor \(fd): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            sawAnything = true
            if byte == UInt8(ascii: "\n") {
                lines.append(TerminalPrompt.text(current))
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { lines.append(TerminalPrompt.text(current)) }
        guard sawAnything else { throw ValidationError("nothing to read on file descriptor \(fd)") }
        return lines
    }
}
