import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where kysod's socket is, as kysod and its clients both find it.
public enum KysoSocket {
    /// The system service's socket.
    public static let system = "/run/kyso/kysod.sock"

    /// `/run/kyso/kysod.sock` for root (the system service), `$XDG_RUNTIME_DIR/kyso/kysod.sock` for a user.
    public static func defaultPath() -> String {
        if getuid() != 0, let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/kyso/kysod.sock"
        }
        return system
    }

    /// The socket a client talks to: `explicit` (--socket), else $KYSO_SOCKET, else the user's own daemon when it
    /// is running, else the system service's (a user's session has no daemon of its own unless they started one).
    public static func clientPath(explicit: String?) -> String {
        if let explicit { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KYSO_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        let own = defaultPath()
        return FileManager.default.fileExists(atPath: own) ? own : system
    }
}
