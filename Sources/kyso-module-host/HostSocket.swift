import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The host's end of the connection with kysod: a listening Unix socket that takes exactly one connection.
enum HostSocket {
    /// Listens on `path` (mode 0600), calls `ready`, accepts one connection from this user (or root), and removes the
    /// socket file. Blocking.
    static func acceptOne(path: String, ready: () -> Void) throws -> Int32 {
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw HostFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw HostFailure("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let previous = umask(0o077)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0 else { throw HostFailure("bind \(path): \(String(cString: strerror(errno)))") }
        defer { unlink(path) }
        guard listen(listener, 1) == 0 else { throw HostFailure("listen: \(String(cString: strerror(errno)))") }
        ready()
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                throw HostFailure("accept: \(String(cString: strerror(errno)))")
            }
            // The directory is private to kysod's user already; the peer check is belt and braces.
            var credentials = PeerCredentials()
            var length = socklen_t(MemoryLayout<PeerCredentials>.size)
            if getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
               credentials.uid == getuid() || credentials.uid == 0 {
                return connection
            }
            close(connection)
        }
    }

    /// `struct ucred`, which Glibc's Swift module leaves out (it needs _GNU_SOURCE): same layout.
    private struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }
}
