import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// `kyso account set-secret USERID KIND`: set or change the VNACCS password or Terminal access key of a bound account
/// (issue 13: a password change took an unbind and a bind).
struct SetSecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-secret", abstract: "Set or change a bound declarant account's VNACCS password or Terminal access key.",
        discussion: """
            The new value is asked twice on the terminal without echo, or read from the first line of standard input \
            with --stdin; never from the command line. Rules: a VNACCS password has at most 8 characters; a Terminal \
            access key at most 16 letters or digits. Replacing a stored value asks first (type the account; --yes \
            skips the question): the old value is not kept. The value is sealed as `kyso bind` seals: --sealing token \
            (to the token: it must be plugged in, and its PIN is asked for), host (kysod's host key) or auto (token when \
            a PIN is given with --pin-fd, else host). Needs the admin right; kysod records it in its audit log (never the \
            value). Exit status: 0 stored, 1 refused or stopped, 64 usage error, 69 kysod not running, 77 access refused.
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The declarant account's User ID.", valueName: "ACCOUNT"))
    var account: String

    @Argument(help: ArgumentHelp("password or terminalAccessKey.", valueName: "KIND"))
    var kind: SecretKind

    @Flag(name: .customLong("stdin"), help: "Read the new value from the first line of standard input.")
    var fromStdin = false

    @Option(help: "Where to seal the value: auto, token or host.")
    var sealing: SealingMode = .auto

    @Flag(help: "Replace a stored value without asking.")
    var yes = false

    @OptionGroup var pinInput: PINInput

    func validate() throws {
        if fromStdin && pinInput.pinStdin { throw ValidationError("--stdin carries the new value: give the PIN with --pin-fd N") }
    }

    func run() async throws {
        let segment = try AccountPath.segment(account)
        let client = connection.client
        let binding: BindingInfo
        do {
            binding = try await client.request(.GET, "/v1/bindings/\(segment)").decode(BindingInfo.self)
        } catch {
            throw ClientExit.fail(error)
        }
        let value = try readValue()
        // Checked here first, so a value kysod would refuse costs no PIN and no question.
        do throws(AccountFieldError) {
            if kind == .password { _ = try VNACCSPassword(value) } else { _ = try TerminalAccessKey(value) }
        } catch {
            throw ValidationError("\(kind.words): \(error.reason)")
        }
        if binding.secrets.contains(kind.rawValue) {
            try Confirmation.confirm("this replaces the stored \(kind.words) of \(binding.account); the old value is not kept",
                                     account: binding.account, yes: yes)
        }
        let wantsPIN = sealing == .token || (sealing == .auto && pinInput.isGiven)
        let info: BindingInfo
        do {
            let pin = wantsPIN ? try pinInput.read(prompt: await TokenNaming.prompt(certificate: binding.certificate.sha256, client: client)) : nil
            let request = SecretStoreRequest(value: value, sealing: sealing, pin: pin, allowFinalTry: pinInput.allowFinalTry ? true : nil)
            let body = Array(try APIJSON.encoder().encode(request))
            info = try await client.request(.PUT, "/v1/bindings/\(segment)/secrets/\(kind.rawValue)", body: body).decode(BindingInfo.self)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
        let place = info.sealedToToken.contains(kind.rawValue) ? "sealed to the token (revealing it needs the token and its PIN)"
            : "sealed with kysod's host key"
        Output.line("Stored the \(kind.words) of \(info.account), \(place).")
    }

    /// The new value: the first line of standard input, or typed twice on the terminal.
    private func readValue() throws -> SecretBytes {
        if fromStdin {
            guard let line = try TerminalPrompt.line(from: STDIN_FILENO), !line.isEmpty else {
                throw ValidationError("no value on standard input")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("no terminal to ask for the value: use --stdin") }
        let rule = kind == .password ? "at most 8 characters" : "at most 16 letters or digits"
        let first = try TerminalPrompt.askWithoutEcho("New \(kind.words) for \(account) (\(rule)): ")
        let second = try TerminalPrompt.askWithoutEcho("The same again: ")
        guard !first.isEmpty else { throw ValidationError("nothing typed; nothing changed") }
        guard first.bytes == second.bytes else { throw ValidationError("the two entries differ; nothing changed") }
        return first
    }
}

extension SecretKind {
    /// The secret's name as the customs guide says it.
    var words: String { self == .password ? "VNACCS password" : "Terminal access key" }
}
