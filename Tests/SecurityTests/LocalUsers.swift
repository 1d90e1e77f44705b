import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Local users for the hardening tests: an unprivileged account made with useradd (the tests run as root), removed
/// again when the test ends. A case that plays "another local user" runs its commands as this account.
final class LocalUser: @unchecked Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// Whether accounts can be made here (root with useradd).
    static let canCreate: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")

    /// A new locked system account with no home and no login shell.
    init() throws {
        name = "kysosec\(UInt32.random(in: 10_000...99_999))"
        try Shell.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name])
        guard let entry = getpwnam(name) else { throw TestFailure("useradd made no \(name)") }
        uid = entry.pointee.pw_uid
        gid = entry.pointee.pw_gid
    }

    /// Runs `executable` as this user (setpriv: real and effective ids, no supplementary groups, no new privileges).
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> Data {
        try Shell.run("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--no-new-privs", executable] + arguments)
    }

    /// Gives `path` (not following a symlink) to this user.
    func own(_ path: String) throws {
        guard lchown(path, uid, gid) == 0 else { throw TestFailure("lchown \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        _ = try? Shell.run("/usr/sbin/userdel", [name])
    }
}
