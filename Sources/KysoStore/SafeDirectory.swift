#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A folder kysod may trust, opened without following a symlink: owned by kysod's effective user (or root, where
/// `rootMayOwn`), and writable by nobody else. Anyone else who could write in it could put a symlink or a file of
/// their own where kysod expects its own (the socket, the database, `host.key`).
public struct SafeDirectory: Sendable {
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    /// An open descriptor of the folder (O_DIRECTORY); the caller closes it.
    public let descriptor: CInt

    /// - Parameter role: how messages name the folder ("socket folder", "state directory").
    public init(_ path: String, role: String, rootMayOwn: Bool = true) throws(Refusal) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            var status = stat()
            let isLink = lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
            let reason = isLink ? "it is a symlink; give the real folder" : String(cString: strerror(error))
            throw Refusal(description: "cannot use the \(role) \(path): \(reason)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Refusal(description: "cannot check the \(role) \(path): \(reason)")
        }
        if let problem = Self.problem(owner: status.st_uid, mode: status.st_mode, rootMayOwn: rootMayOwn) {
            close(descriptor)
            throw Refusal(description: "refusing the \(role) \(path): \(problem)")
        }
        self.descriptor = descriptor
    }

    /// Why a file or folder with this owner and mode is not kysod's alone, or nil when it is.
    public static func problem(owner: uid_t, mode: mode_t, rootMayOwn: Bool) -> String? {
        let me = geteuid()
        if owner != me && !(rootMayOwn && owner == 0) {
            let allowed = rootMayOwn && me != 0 ? "kysod's user \(userName(me)) or root" : "kysod's user \(userName(me))"
            return "it belongs to \(userName(owner)), not to \(allowed), so its owner could replace what kysod keeps there. "
                + "Run kysod as its owner, or give kysod a folder of its own"
        }
        if mode & 0o022 != 0 {
            let who = mode & 0o022 == 0o022 ? "its group and others" : mode & 0o020 != 0 ? "its group" : "others"
            return "it is writable by \(who) (mode \(String(mode & 0o7777, radix: 8))), so they "
                + "could replace what kysod keeps there. Give kysod a folder only its user can write in (chmod go-w, if this one is "
                + "kysod's own and not shared like /tmp)"
        }
        return nil
    }

    /// `name (uid N)`, or `uid N` for a uid without an account.
    public static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }
}

/// Words for a file's type in messages.
public enum FileKind {
    public static func describe(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symlink"
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFSOCK: return "a socket"
        case S_IFIFO: return "a FIFO"
        default: return "a device or other special file"
        }
    }
}
