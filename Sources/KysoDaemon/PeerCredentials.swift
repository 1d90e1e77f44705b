import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a socket connection, as the kernel recorded it when the caller connected:
/// uid, gid and pid (SO_PEERCRED) and the supplementary groups (SO_PEERGROUPS). Only the executable's name,
/// for the record, comes from /proc, and only once the process is pinned (see `PeerProcess`).
///
/// Nothing that grants a capability is read from /proc: a caller could exit after connecting and another
/// process (a signer's) take its PID before kysod read /proc/PID/status, lending the request its groups.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// Primary and supplementary groups of the process when it connected.
    public var groups: Set<UInt32>
    /// `/proc/PID/exe` of the process that connected; nil when it could not be pinned (it exited) or read.
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

    /// Reads the peer's credentials from an accepted Unix-socket channel. Call on the channel's event loop
    /// (each option read then completes at once).
    static func read(from channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let credentials: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return credentials.flatMap { credentials in
            PeerGroups.read(from: provider, primary: credentials.gid).flatMap { groups in
                PeerProcess.executable(of: provider, pid: credentials.pid, uid: credentials.uid).map { executable in
                    PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups, executable: executable)
                }
            }
        }
    }
}

/// SO_PEERGROUPS: the supplementary groups the kernel saved with the connection.
enum PeerGroups {
    /// More than this many groups and only the primary group counts (fewer rights, never more).
    static let capacity = 256

    /// NIO's getsockopt wrapper takes a fixed-size value and does not return the length the kernel wrote, so the
    /// count is found from the kernel's order: it keeps groups sorted (setgroups sorts them), so the list ends at
    /// the last non-zero entry, and the zero-filled rest is padding. An all-zero answer is either no groups or
    /// just group 0: a zero-length read tells them apart (it fails with ERANGE when there is a group).
    static func read(from provider: any SocketOptionProvider, primary: UInt32) -> EventLoopFuture<Set<UInt32>> {
        let option = NIOBSDSocket.Option(rawValue: SO_PEERGROUPS)
        let groups: EventLoopFuture<InlineArray<256, UInt32>> = provider.unsafeGetSocketOption(level: .socket, name: option)
        return groups.flatMap { buffer in
            var found: [UInt32] = []
            for index in buffer.indices { found.append(buffer[index]) }
            while found.last == 0 { found.removeLast() }
            if !found.isEmpty { return provider.eventLoop.makeSucceededFuture(Set(found + [primary])) }
            let empty: EventLoopFuture<Void> = provider.unsafeGetSocketOption(level: .socket, name: option)
            return empty.map { [primary] }.recover { _ in [primary, 0] }
        }.recover { _ in
            // ERANGE: more than `capacity` groups. Refusing a group's grant is the safe side of not knowing.
            [primary]
        }
    }
}

/// The executable of the process that connected, read from /proc only while that process is pinned: through a
/// pidfd for it (SO_PEERPIDFD, Linux 6.5+) that still names the same PID after /proc was read, or, on older
/// kernels, a start time and uid that did not change across the read. A process that exited gets no name.
enum PeerProcess {
    /// SO_PEERPIDFD from asm-generic/socket.h (newer than the Glibc headers Swift imports).
    static let peerPIDFD: Int32 = 77

    static func executable(of provider: any SocketOptionProvider, pid: Int32, uid: UInt32) -> EventLoopFuture<String?> {
        let pidfd: EventLoopFuture<Int32> = provider.unsafeGetSocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: peerPIDFD))
        return pidfd.map { fd -> String? in
            defer { close(fd) }
            let name = readExecutable(pid)
            return pinned(pidfd: fd) == pid ? name : nil
        }.recover { error -> String? in
            // ESRCH: the caller has already exited, so nothing in /proc under its PID is its own.
            if let error = error as? IOError, error.errnoCode == ESRCH { return nil }
            return executableByStartTime(pid: pid, uid: uid)
        }
    }

    /// The PID a pidfd names now (`Pid:` in its fdinfo): -1 once the process has exited and been reaped.
    static func pinned(pidfd: Int32) -> Int32? {
        guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(pidfd)", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("Pid:") {
            return Int32(line.dropFirst("Pid:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Kernels without SO_PEERPIDFD: the same process before and after the read (start time, field 22 of
    /// /proc/PID/stat) and still the caller's uid. A PID reused before the first read with the same uid is
    /// not caught; the name is for the record only, never for a decision.
    static func executableByStartTime(pid: Int32, uid: UInt32) -> String? {
        guard let before = startTime(pid) else { return nil }
        let name = readExecutable(pid)
        guard startTime(pid) == before, effectiveUID(pid) == uid else { return nil }
        return name
    }

    static func readExecutable(_ pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    static func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces and parentheses) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// The second `Uid:` field (effective), which is what SO_PEERCRED reports.
    static func effectiveUID(_ pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            let fields = line.dropFirst("Uid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.count > 1 ? UInt32(fields[1]) : nil
        }
        return nil
    }
}
