import ArgumentParser
import Foundation
import KysoAPI

/// `kyso secret`: reveal a stored terminal access key or VNACCS password.
struct SecretCommand: AsyncParsableCommand {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case terminalAccessKey, password
    }

    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Print a declarant account's stored terminal access key or VNACCS password.",
        discussion: """
            Prints the value alone on standard output, for the declaration software's settings; kysod records the \
            reveal in its audit log (never the value). \
            Exit status: 0 printed, 1 not stored or refused, 64 usage error, 69 kysod not running, \
            77 access refused (needs the admin capability).
            """)

    @OptionGroup var connection: DaemonConnection

    @Argument(help: ArgumentHelp("The declarant account's User ID.", valueName: "ACCOUNT"))
    var account: String

    @Argument(help: ArgumentHelp("terminalAccessKey or password.", valueName: "KIND"))
    var kind: Kind

    func run() async throws {
        let segment = try AccountPath.segment(account)
        let secret: SecretResponse
        do {
            secret = try await connection.client.request(.GET, "/v1/bindings/\(segment)/secrets/\(kind.rawValue)").decode(SecretResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        print(secret.value)
    }
}
