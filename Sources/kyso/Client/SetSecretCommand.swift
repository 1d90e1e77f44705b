import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// `kyso account set-secret USERID KIND`: set or change the VNACCS password or Terminal access key of a bound account
/// (issue 13: a password change took an unbind and a bind).
struct SetSecretCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "set-secret", abstract: tr("setSecret.abstract"), discussion: tr("setSecret.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("setSecret.account.help"), valueName: "ACCOUNT"))
    var account: String

    @Argument(help: ArgumentHelp(tr("setSecret.kind.help"), valueName: "KIND"))
    var kind: SecretKind

    @Flag(name: .customLong("stdin"), help: ArgumentHelp(tr("setSecret.stdin.help")))
    var fromStdin = false

    @Option(help: ArgumentHelp(tr("setSecret.sealing.help")))
    var sealing: SealingMode = .auto

    @Flag(help: ArgumentHelp(tr("setSecret.yes.help")))
    var yes = false

    @OptionGroup var pinInput: PINInput

    func validate() throws {
        if fromStdin && pinInput.pinStdin { throw ValidationError(tr("setSecret.stdinAndPIN")) }
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
            throw ValidationError(tr("setSecret.invalid", ["secret": kind.words, "reason": tr(error.message)]))
        }
        if binding.secrets.contains(kind.rawValue) {
            try Confirmation.confirm(tr("setSecret.confirmReplace", ["secret": kind.words, "account": binding.account]),
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
        let stored = info.sealedToToken.contains(kind.rawValue) ? "setSecret.stored.token" : "setSecret.stored.host"
        Output.line(tr(stored, ["secret": kind.words, "account": info.account]))
    }

    /// The new value: the first line of standard input, or typed twice on the terminal.
    private func readValue() throws -> SecretBytes {
        if fromStdin {
            guard let line = try TerminalPrompt.line(from: STDIN_FILENO), !line.isEmpty else {
                throw ValidationError(tr("setSecret.noValueOnStdin"))
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else { throw ValidationError(tr("setSecret.noTerminal")) }
        let prompt = kind == .password ? "setSecret.prompt.password" : "setSecret.prompt.terminalAccessKey"
        let first = try TerminalPrompt.askWithoutEcho(tr(prompt, ["account": account]))
        let second = try TerminalPrompt.askWithoutEcho(tr("prompt.sameAgain"))
        guard !first.isEmpty else { throw ValidationError(tr("setSecret.nothingTyped")) }
        guard first.bytes == second.bytes else { throw ValidationError(tr("setSecret.entriesDiffer")) }
        return first
    }
}

extension SecretKind {
    /// The secret's name as the customs guide says it.
    var words: String { tr("setSecret.kind.\(rawValue)") }
}
