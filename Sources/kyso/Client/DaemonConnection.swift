import ArgumentParser
import Foundation
import KysoAPI
import KysoDaemon

/// `--socket` for every command that talks to kysod.
struct DaemonConnection: ParsableArguments {
    @Option(help: ArgumentHelp("kysod's socket. Default: $KYSO_SOCKET, else /run/kyso/kysod.sock (root) or $XDG_RUNTIME_DIR/kyso/kysod.sock, falling back to /run/kyso/kysod.sock.", valueName: "PATH"))
    var socket: String?

    var client: KysoClient { KysoClient(socketPath: resolvedSocket) }

    var resolvedSocket: String {
        if let socket { return socket }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KYSO_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        let own = DaemonSettings.defaultSocketPath()
        // A user's session has no daemon of its own unless they started one; then the system service is the one.
        return FileManager.default.fileExists(atPath: own) ? own : "/run/kyso/kysod.sock"
    }
}

/// Exit statuses of the client commands (sysexits.h values, so scripts can tell the cases apart).
enum ClientExit {
    /// kysod is not running or its socket is missing.
    static let daemonUnavailable: Int32 = 69
    /// The socket's file mode or kysod's access policy refused the caller.
    static let accessRefused: Int32 = 77

    /// Prints the client error for people and exits with its status.
    static func fail(_ error: any Error) -> ExitCode {
        Output.error("kyso: \(error)")
        switch error as? KysoClient.ClientError {
        case .daemonNotRunning?: return ExitCode(daemonUnavailable)
        case .socketPermissionDenied?, .accessRefused?: return ExitCode(accessRefused)
        default: return ExitCode.failure
        }
    }
}
