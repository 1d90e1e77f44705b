import ArgumentParser
import Foundation
import KysoText
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// Where `kyso` reads a token PIN from: never the command line (argv is visible to every user in `ps`).
struct PINInput: ParsableArguments {
    @Option(name: .customLong("pin-fd"), help: ArgumentHelp(tr("pin.fd.help"), valueName: "N"))
    var pinFD: Int32?

    @Flag(name: .customLong("pin-stdin"), help: ArgumentHelp(tr("pin.stdin.help")))
    var pinStdin = false

    @Flag(name: .customLong("no-pin"), help: ArgumentHelp(tr("pin.none.help")))
    var noPIN = false

    @Flag(name: .customLong("allow-final-try"), help: ArgumentHelp(tr("pin.allowFinalTry.help")))
    var allowFinalTry = false

    /// Whether a PIN source was named on the command line (rather than asking on the terminal by default).
    var isGiven: Bool { pinFD != nil || pinStdin }

    /// The PIN, or nil for `--no-pin`. Asks on the terminal, without echo, when no other source is given.
    func read(prompt: String) throws -> SecretBytes? {
        if noPIN { return nil }
        if let pinFD { return try Self.firstLine(of: pinFD) }
        if pinStdin { return try Self.firstLine(of: STDIN_FILENO) }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError(tr("pin.noTerminal"))
        }
        return try TerminalPrompt.askWithoutEcho(prompt)
    }

    private static func firstLine(of fd: Int32) throws -> SecretBytes {
        guard let line = try TerminalPrompt.line(from: fd), !line.isEmpty else { throw ValidationError(tr("pin.noneOnFD", ["fd": String(fd)])) }
        return line
    }
}
