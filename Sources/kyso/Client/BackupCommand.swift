import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// `kyso backup FILE`: kysod's bindings, secrets and audit log in one file, for moving to a new machine (issue 13).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Save kysod's bindings, stored secrets and audit log to a file, for moving to a new machine.",
        discussion: """
            kysod writes the backup (admin right; recorded in its audit log); kyso saves it to FILE (mode 600; an \
            existing file is kept unless --force). Secrets sealed with kysod's host key are sealed again under a \
            passphrase you type twice (at least 10 characters; --passphrase-stdin reads it from the first line of \
            standard input): keep it apart from the file, since `kyso restore` needs it and nothing else opens them. \
            Secrets sealed to a token stay sealed to it: bring the token. The whole file is encrypted and \
            authenticated (scrypt and AES-256-GCM). \
            Exit status: 0 saved, 1 refused or not written, 64 usage error, 69 kysod not running, 77 access refused.
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("Where to save the backup.", valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("passphrase-stdin"), help: "Read the passphrase from the first line of standard input.")
    var passphraseStdin = false

    @Flag(help: "Replace FILE if it exists.")
    var force = false

    func run() async throws {
        if !force && FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file) exists; choose another name or give --force")
        }
        // Made ready before anything is asked, so a path that cannot be written fails first.
        let output = try PrivateFile(path: file)
        let passphrase: SecretBytes
        do {
            passphrase = try Passphrase.read(fromStdin: passphraseStdin, twice: true)
            // kysod refuses a shorter one too; saying so here spares the round trip.
            guard passphrase.count >= 10 else { throw ValidationError("the passphrase must have at least 10 characters; nothing saved") }
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
            Output.error("kyso: \(error)")
            throw ExitCode.failure
        }
        Output.line("Saved the backup to \(TerminalText.field(file)). Keep the passphrase apart from it: `kyso restore` needs both.")
    }
}

/// A passphrase from the terminal (asked twice when it is being chosen) or the first line of standard input.
enum Passphrase {
    static func read(fromStdin: Bool, twice: Bool) throws -> SecretBytes {
        if fromStdin {
            guard let line = try TerminalPrompt.line(from: STDIN_FILENO), !line.isEmpty else {
                throw ValidationError("no passphrase on standard input")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("no terminal to ask for the passphrase: use --passphrase-stdin") }
        let first = try TerminalPrompt.askWithoutEcho(twice ? "Backup passphrase (at least 10 characters): " : "Backup passphrase: ")
        guard twice else { return first }
        let second = try TerminalPrompt.askWithoutEcho("The same again: ")
        guard first.bytes == second.bytes else { throw ValidationError("the two passphrases differ; nothing saved") }
        return first
    }
}

/// A file only its owner can read, written beside its final name and renamed into place whole.
struct PrivateFile {
    let path: String
    private let partial: String
    private let descriptor: Int32

    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        self.path = path
        partial = folder + "/." + url.lastPathComponent + ".kyso-\(getpid())"
        descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileProblem("cannot write \(path): \(FileProblem.reason()) (in \(folder))") }
    }

    func commit(_ bytes: Data) throws {
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            discard()
            throw FileProblem("cannot write \(path): \(error.localizedDescription)")
        }
        close(descriptor)
        guard rename(partial, path) == 0 else {
            let reason = FileProblem.reason()
            unlink(partial)
            throw FileProblem("cannot write \(path): \(reason)")
        }
    }

    func discard() {
        close(descriptor)
        unlink(partial)
    }
}
