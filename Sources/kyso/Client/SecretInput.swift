import ArgumentParser
import Foundation
import KysoText
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// Where `kyso bind` and `kyso rebind` read an account's terminal access key and VNACCS password from: a file
/// descriptor or a prompt without echo, never the command line (argv is visible to every user in `ps`).
struct SecretInput: ParsableArguments {
    @Option(name: .customLong("secrets-fd"), help: ArgumentHelp(tr("secrets.fd.help"), valueName: "N"))
    var secretsFD: Int32?

    @Flag(name: .customLong("ask-secrets"), help: ArgumentHelp(tr("secrets.ask.help")))
    var askSecrets = false

    struct Secrets {
        var terminalAccessKey: SecretBytes?
        var password: SecretBytes?
    }

    func validate() throws {
        if secretsFD != nil && askSecrets { throw ValidationError(tr("secrets.notBoth")) }
    }

    /// The secrets to store, or none when neither option is given.
    func read() throws -> Secrets {
        if let secretsFD {
            let lines = try Self.lines(of: secretsFD, maximum: 2)
            return Secrets(terminalAccessKey: lines.first.flatMap(Self.nonEmpty), password: lines.dropFirst().first.flatMap(Self.nonEmpty))
        }
        if askSecrets {
            guard isatty(STDIN_FILENO) == 1 else { throw ValidationError(tr("secrets.noTerminal")) }
            let key = try TerminalPrompt.askWithoutEcho(tr("secrets.prompt.accessKey"))
            let password = try TerminalPrompt.askWithoutEcho(tr("secrets.prompt.password"))
            return Secrets(terminalAccessKey: Self.nonEmpty(key), password: Self.nonEmpty(password))
        }
        return Secrets()
    }

    private static func nonEmpty(_ text: SecretBytes) -> SecretBytes? { text.isEmpty ? nil : text }

    /// Up to `maximum` lines (without their line ends); reading stops there, so the rest of the stream is left alone.
    private static func lines(of fd: Int32, maximum: Int) throws -> [SecretBytes] {
        var lines: [SecretBytes] = []
        while lines.count < maximum, let line = try TerminalPrompt.line(from: fd) { lines.append(line) }
        guard !lines.isEmpty else { throw ValidationError(tr("secrets.noneOnFD", ["fd": String(fd)])) }
        return lines
    }
}
