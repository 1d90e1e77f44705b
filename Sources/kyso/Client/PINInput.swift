import ArgumentParser
import Foundation
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// Where `kyso` reads a token PIN from: never the command line (argv is visible to every user in `ps`).
struct PINInput: ParsableArguments {
    @Option(name: .customLong("pin-fd"), help: ArgumentHelp("Read the PIN from this file descriptor (first line).", valueName: "N"))
    var pinFD: Int32?

    @Flag(name: .customLong("pin-stdin"), help: "Read the PIN from standard input (first line).")
    var pinStdin = false

    @Flag(name: .customLong("no-pin"), help: "Send no PIN: the token has a PIN pad, or a cached login is used.")
    var noPIN = false

    @Flag(name: .customLong("allow-final-try"), help: "Go ahead even if one PIN try is left (a wrong PIN then locks the token).")
    var allowFinalTry = false

    /// Whether a PIN source was named on the command line (rather than asking on the terminal by default).
    var isGiven: Bool { pinFD != nil || pinStdin }

    /// The PIN, or nil for `--no-pin`. Asks on the terminal, without echo, when no other source is given.
    func read(prompt: String) throws -> SecretBytes? {
        if noPIN { return nil }
        if let pinFD { return try Self.firstLine(of: pinFD) }
        if pinStdin { return try Self.firstLine(of: STDIN_FILENO) }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("no terminal to ask for the PIN: use --pin-fd N, --pin-stdin or --no-pin")
        }
        return try TerminalPrompt.askWithoutEcho(prompt)
    }

    private static func firstLine(of fd: Int32) throws -> SecretBytes {
        guard let line = try TerminalPrompt.line(from: fd), !line.isEmpty else { throw ValidationError("no PIN on file descriptor \(fd)") }
        return line
    }
}
