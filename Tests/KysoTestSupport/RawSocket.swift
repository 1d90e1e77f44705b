import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bare Unix-socket client for traffic no HTTP library would send.
public final class RawSocket: @unchecked Sendable {
    public let fd: Int32

    public init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestFailure("connect: \(errno)") }
    }

    public func close() { Glibc.close(fd) }

    /// Sends `request`, then reads until the server closes or `readTimeout` seconds pass.
    public static func exchange(_ path: String, _ request: String, readTimeout: Int = 5) throws -> String {
        let socket = try RawSocket(path)
        defer { socket.close() }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withCString { send(socket.fd, $0, strlen($0), 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket.fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer.prefix(count)
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// Writes all of `bytes`, ignoring a peer that already hung up (no SIGPIPE).
    public func sendAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
