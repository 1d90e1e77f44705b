import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// `kyso remote`: remote signing services (CSC API) configured in kysod.
struct RemoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Remote signing services: their login secrets and one-time passwords.",
        subcommands: [RemoteSecretCommand.self, RemoteOTPCommand.self])
}

/// `kyso remote secret SERVICE KIND`: store (or with --reveal, print) a service's client secret or password.
struct RemoteSecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Set the client secret or password kysod logs in to a remote signing service with.",
        discussion: """
            The value is asked on the terminal without echo, or read from the first line of standard input with \
            --stdin; never from the command line. kysod seals it with its host key, logs in with it at once, and \
            records the change in its audit log (never the value). --reveal prints the stored value instead \
            (audited too). Needs the admin capability. \
            Exit status: 0 done, 1 refused, 69 kysod not running, 77 access refused.
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The service's name in kysod's configuration (remoteServices).", valueName: "SERVICE"))
    var service: String

    @Argument(help: ArgumentHelp("client-secret or password.", valueName: "KIND"))
    var kind: RemoteSecretKind

    @Flag(help: "Read the value from the first line of standard input.") var stdin = false
    @Flag(help: "Print the stored value instead of setting it.") var reveal = false

    func run() async throws {
        let path = "/v1/remote-services/\(try Self.segment(service))/secrets/\(kind.rawValue)"
        do {
            if reveal {
                let secret = try await connection.client.request(.GET, path).decode(RemoteSecretResponse.self)
                Output.line(secret.value)
                return
            }
            let value: SecretBytes
            if stdin {
                guard let line = try TerminalPrompt.line(from: STDIN_FILENO), !line.isEmpty else {
                    throw ValidationError("no \(kind.rawValue) on standard input")
                }
                value = line
            } else {
                guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("no terminal to ask for the \(kind.rawValue): use --stdin") }
                value = try TerminalPrompt.askWithoutEcho("\(kind == .password ? "Password" : "Client secret") for \(service): ")
            }
            let body = Array(try APIJSON.encoder().encode(RemoteSecretRequest(value: value)))
            let response = try await connection.client.request(.PUT, path, body: body)
            guard response.status == 204 else { throw response.problem() }
            Output.error("kyso: the \(kind.rawValue) of \(service) is stored sealed; kysod logs in with it now (see `kyso doctor`)")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
    }

    static func segment(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ValidationError("a service name is letters, digits, - and _")
        }
        return name
    }
}


/// `kyso remote otp TOKEN`: have the service send the holder a one-time password.
struct RemoteOTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otp", abstract: "Have a remote signing service send its one-time password (SMS, app) for a credential.",
        discussion: "Then sign with --otp-stdin or answer the prompt. Exit status: 0 sent, 1 refused, 69 kysod not running, 77 access refused.")

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The remote credential's token id (see `kyso tokens`).", valueName: "TOKEN"))
    var token: String

    func run() async throws {
        do {
            let response = try await connection.client.request(.POST, "/v1/tokens/\(token)/otp")
            guard response.status == 204 else { throw response.problem() }
            Output.error("kyso: the service is sending a one-time password to the holder's phone")
        } catch {
            throw ClientExit.fail(error)
        }
    }
}
