import ArgumentParser
import Foundation
import KysoAPI
import KysoCore
import KysoText
#if canImport(Glibc)
import Glibc
#endif

/// `kyso remote`: remote signing services (CSC API) configured in kysod.
struct RemoteCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "remote", abstract: tr("remote.abstract"),
                             subcommands: [RemoteSecretCommand.self, RemoteOTPCommand.self])
    }
}

/// `kyso remote secret SERVICE KIND`: store (or with --reveal, print) a service's client secret or password.
struct RemoteSecretCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "secret", abstract: tr("remote.secret.abstract"), discussion: tr("remote.secret.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("remote.secret.service.help"), valueName: "SERVICE"))
    var service: String

    @Argument(help: ArgumentHelp(tr("remote.secret.kind.help"), valueName: "KIND"))
    var kind: RemoteSecretKind

    @Flag(help: ArgumentHelp(tr("remote.secret.option.stdin.help"))) var stdin = false
    @Flag(help: ArgumentHelp(tr("remote.secret.option.reveal.help"))) var reveal = false

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
                    throw ValidationError(tr("remote.secret.error.noValueOnStdin", ["kind": kindWord]))
                }
                value = line
            } else {
                guard isatty(STDIN_FILENO) == 1 else { throw ValidationError(tr("remote.secret.error.noTerminal", ["kind": kindWord])) }
                value = try TerminalPrompt.askWithoutEcho(tr("remote.secret.prompt.\(kind.rawValue)", ["service": service]))
            }
            let body = Array(try APIJSON.encoder().encode(RemoteSecretRequest(value: value)))
            let response = try await connection.client.request(.PUT, path, body: body)
            guard response.status == 204 else { throw response.problem() }
            Output.error(tr("remote.secret.stored", ["kind": kindWord, "service": service]))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ClientExit.fail(error)
        }
    }

    /// The kind in words: the value on the command line in English, a Vietnamese name in Vietnamese.
    private var kindWord: String { tr("remote.secret.kind.\(kind.rawValue)") }

    static func segment(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ValidationError(tr("remote.secret.error.serviceName"))
        }
        return name
    }
}

/// `kyso remote otp TOKEN`: have the service send the holder a one-time password.
struct RemoteOTPCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "otp", abstract: tr("remote.otp.abstract"), discussion: tr("remote.otp.discussion"))
    }

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp(tr("remote.otp.token.help"), valueName: "TOKEN"))
    var token: String

    func run() async throws {
        do {
            let response = try await connection.client.request(.POST, "/v1/tokens/\(token)/otp")
            guard response.status == 204 else { throw response.problem() }
            Output.error(tr("remote.otp.sending"))
        } catch {
            throw ClientExit.fail(error)
        }
    }
}
