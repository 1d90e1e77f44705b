import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a socket connection, as the kernel tells it (SO_PEERCRED), plus the
/// process's groups and executable from /proc for the record.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// Primary and supplementary groups of the calling process.
    public var groups: Set<UInt32>
    /// `/proc/PID/exe`, when readable.
    public var executable: String?

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: Set<UInt32>, executable: String?) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.executable = executable
    }

    /// Layout of Linux's `struct ucred`, which Glibc's Swift module does not import without `_GNU_SOURCE`.
    struct UCred {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Reads SO_PEERCRED from an accepted Unix-socket channel. Call on the channel's event loop.
    static func read(from channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return future.map { credentials in
            PeerCredentials(
                pid: credentials.pid, uid: credentials.uid, gid: credentials.gid,
                groups: processGroups(pid: credentials.pid, primary: credentials.gid),
                executable: executable(pid: credentials.pid))
        }
    }

    /// The `Groups:` line of /proc/PID/status: the groups of the process that connected, not of its user's
    /// login, so a group added since the caller logged in does not count until it logs in again.
    static func processGroups(pid: Int32, primary: UInt32) -> Set<UInt32> {
        var groups: Set<UInt32> = [primary]
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return groups }
        for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
            for field in line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                if let gid = UInt32(field) { groups.insert(gid) }
            }
        }
        return groups
    }

    static func executable(pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }
}
