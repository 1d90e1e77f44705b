import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// `kyso bindings`: every bound customs account, as a table.
struct BindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindings", abstract: "List customs accounts bound to certificates (secrets are named, never shown).",
        discussion: "Exit status: 0 ok, 69 kysod not running, 77 access refused, 1 other errors.")

    @OptionGroup var connection: DaemonConnection
    @Flag(help: "Print the daemon's JSON.") var json = false

    func run() async throws {
        let list: BindingListResponse
        do {
            let response = try await connection.client.request(.GET, "/v1/bindings")
            if json { Output.line(String(decoding: response.body, as: UTF8.self)); return }
            list = try response.decode(BindingListResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        if list.bindings.isEmpty {
            Output.line("No account is bound. Register one with `kyso register`, then `kyso bind`.")
            return
        }
        var rows: [[String]] = [["ACCOUNT", "ROLE", "TAX CODE", "TERMINAL", "CERTIFICATE SERIAL", "CA", "VALID UNTIL", "TOKEN", "SECRETS"]]
        for binding in list.bindings {
            rows.append([
                binding.account, binding.role.rawValue, binding.taxCode, binding.terminalId ?? "-", binding.certificate.serialNumber,
                CAName.display(binding.certificate.provider), BindingText.day(binding.certificate.notAfter),
                binding.certificatePresent ? "present" : "absent",
                BindingText.secrets(binding) ?? "-",
            ])
        }
        Output.text(TextTable.render(rows))
    }
}

/// `kyso unbind`: remove a binding and its stored secrets.
struct UnbindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbind", abstract: "Remove an account's binding and its stored secrets.",
        discussion: "kyso first says what goes (the binding and its stored secrets) and, on a terminal, asks for the account's name (--yes skips the question). Exit status: 0 removed, 1 not bound, refused or not confirmed, 64 usage error, 69 kysod not running, 77 access refused (needs the admin capability).")

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The account: a User ID, or an admin account's tax code.", valueName: "ACCOUNT"))
    var account: String

    @Flag(help: "Do not ask for confirmation on a terminal.") var yes = false

    func run() async throws {
        let segment = try AccountPath.segment(account)
        do {
            // Said (and on a terminal asked) first: the stored secrets go with the binding.
            if let binding = try? await connection.client.request(.GET, "/v1/bindings/\(segment)").decode(BindingInfo.self) {
                try Confirmation.confirm(Confirmation.unbindLoss(binding), account: binding.account, yes: yes)
            }
            let response = try await connection.client.request(.DELETE, "/v1/bindings/\(segment)")
            guard response.status == 204 else { throw response.problem() }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
        Output.line("unbound \(TerminalText.field(segment))")
    }
}
