public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket the API serves: the one systemd passed (`LISTEN_FDS`), or one kysod made at the configured
/// path (see SocketFile). Made before any service starts, so a socket kysod cannot have stops it at once, with a
/// message and a non-zero exit, instead of leaving a daemon that serves nothing.
public struct APIListener: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let descriptor: CInt
    /// How the socket came: "systemd" or the path kysod bound.
    let origin: String
    static let backlog: Int32 = 256

    public static func open(settings: DaemonSettings, logger: Logger) throws(Failure) -> APIListener {
        if let activated = SystemdSocketActivation.listeningSocket() {
            return APIListener(descriptor: activated, origin: "systemd (LISTEN_FDS)")
        }
        do {
            let descriptor = try SocketFile.listen(at: settings.socketPath, group: settings.socketGroup, backlog: backlog, logger: logger)
            return APIListener(descriptor: descriptor, origin: settings.socketPath)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
