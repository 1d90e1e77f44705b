import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// `kyso backup FILE`: kysod's bindings, secrets and audit log in one file, for moving to a new machine (issue 13).
struct BackupCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "backup", abstract: tr("backup.abstract"), discussion: tr("backup.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("backup.file.help"), valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("passphrase-stdin"), help: ArgumentHelp(tr("passphrase.stdin.help")))
    var passphraseStdin = false

    @Flag(help: ArgumentHelp(tr("backup.force.help")))
    var force = false

    func run() async throws {
        if !force && FileManager.default.fileExists(atPath: file) {
            throw ValidationError(tr("backup.exists", ["path": file]))
        }
        // Made ready before anything is asked, so a path that cannot be written fails first.
        let output = try OutputFile.privateFile(path: file)
        let passphrase: SecretBytes
        do {
            passphrase = try Passphrase.read(fromStdin: passphraseStdin, twice: true)
            // kysod refuses a shorter one too; saying so here spares the round trip.
            guard passphrase.count >= 10 else { throw ValidationError(tr("backup.passphraseTooShort")) }
        } catch {
            output.discard()
            throw error
        }
        let backup: BackupFile
        do {
            let body = Array(try APIJSON.encoder().encode(BackupRequest(passphrase: passphrase)))
            backup = try await connection.client.request(.POST, "/v1/backup", body: body).decode(BackupFile.self)
        } catch {
            output.discard()
            throw ClientExit.fail(error)
        }
        do {
            try output.commit(try APIJSON.encoder(pretty: true).encode(backup))
        } catch {
            Output.error(tr("kyso.prefix", ["message": "\(error)"]))
            throw ExitCode.failure
        }
        Output.line(tr("backup.saved", ["path": TerminalText.field(file)]))
    }
}

/// A passphrase from the terminal (asked twice when it is being chosen) or the first line of standard input.
enum Passphrase {
    static func read(fromStdin: Bool, twice: Bool) throws -> SecretBytes {
        if fromStdin {
            guard let line = try TerminalPrompt.line(from: STDIN_FILENO), !line.isEmpty else {
                throw ValidationError(tr("passphrase.noneOnStdin"))
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else { throw ValidationError(tr("passphrase.noTerminal")) }
        let first = try TerminalPrompt.askWithoutEcho(tr(twice ? "passphrase.prompt.new" : "passphrase.prompt"))
        guard twice else { return first }
        let second = try TerminalPrompt.askWithoutEcho(tr("prompt.sameAgain"))
        guard first.bytes == second.bytes else { throw ValidationError(tr("passphrase.differ")) }
        return first
    }
}
