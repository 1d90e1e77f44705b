import ArgumentParser
import Foundation
import KysoText
import KysoAPI

/// `--socket` for every command that talks to kysod.
struct DaemonConnection: ParsableArguments {
    @Option(help: ArgumentHelp(tr("option.socket.help"), valueName: "PATH"))
    var socket: String?

    /// A client that asks kysod for its texts (problem details, PIN words, certificate warnings) in kyso's language.
    var client: KysoClient { KysoClient(socketPath: resolvedSocket, acceptLanguage: tr.language.rawValue) }

    var resolvedSocket: String { KysoSocket.clientPath(explicit: socket) }
}

/// Exit statuses of the client commands (sysexits.h values, so scripts can tell the cases apart).
enum ClientExit {
    /// kysod is not running or its socket is missing.
    static let daemonUnavailable: Int32 = 69
    /// The socket's file mode or kysod's access policy refused the caller.
    static let accessRefused: Int32 = 77

    /// Prints the client error for people and exits with its status.
    static func fail(_ error: any Error) -> ExitCode {
        Output.error(tr("kyso.prefix", ["message": CLIWords.translate(ClientErrorWords.words(error))]))
        switch error as? KysoClient.ClientError {
        case .daemonNotRunning?: return ExitCode(daemonUnavailable)
        case .socketPermissionDenied?, .accessRefused?: return ExitCode(accessRefused)
        default: return ExitCode.failure
        }
    }
}
