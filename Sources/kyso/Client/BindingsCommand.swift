import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText

/// `kyso bindings`: every bound customs account, as a table.
struct BindingsCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "bindings", abstract: tr("bindings.abstract"), discussion: tr("exit.daemonCommon"))
    }

    @OptionGroup var connection: DaemonConnection
    @Flag(help: ArgumentHelp(tr("option.daemonJSON.help"))) var json = false

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
            Output.line(tr("bindings.none"))
            return
        }
        var rows: [[String]] = [["bindings.column.account", "bindings.column.role", "bindings.column.taxCode", "bindings.column.terminal",
                                 "bindings.column.serial", "bindings.column.ca", "bindings.column.validUntil", "bindings.column.token",
                                 "bindings.column.secrets"].map { tr($0) }]
        for binding in list.bindings {
            rows.append([
                binding.account, tr("role.\(binding.role.rawValue)"), binding.taxCode, binding.terminalId ?? "-", binding.certificate.serialNumber,
                CAName.display(binding.certificate.provider), BindingText.day(binding.certificate.notAfter),
                tr(binding.certificatePresent ? "bindings.present" : "bindings.absent"),
                BindingText.secrets(binding) ?? "-",
            ])
        }
        Output.text(TextTable.render(rows))
    }
}

/// `kyso unbind`: remove a binding and its stored secrets.
struct UnbindCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "unbind", abstract: tr("unbind.abstract"), discussion: tr("unbind.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("option.account.help"), valueName: "ACCOUNT"))
    var account: String

    @Flag(help: ArgumentHelp(tr("unbind.yes.help"))) var yes = false

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
        Output.line(tr("unbind.done", ["account": TerminalText.field(segment)]))
    }
}
