import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files in the daemon's state directory that must be readable by the daemon only.
enum StateFiles {
    /// Creates `directory` (mode 0700) when missing; an existing directory is left as the administrator set it.
    static func ensureDirectory(_ directory: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StoreError(.fileSystem, "\(directory) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.fileSystem, "cannot create state directory \(directory): \(error.localizedDescription)")
        }
    }

    /// Makes sure `path` exists with mode 0600 before SQLite opens it: SQLite gives its `-wal` and `-shm` files the
    /// database file's mode, so this one call keeps all three private. A wider mode found on an existing file is
    /// narrowed.
    static func ensurePrivateFile(_ path: String) throws(StoreError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.fileSystem, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw StoreError(.fileSystem, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_uid == geteuid() else {
            throw StoreError(.fileSystem, "\(path) belongs to \(SafeDirectory.userName(status.st_uid)), not to kysod's user "
                + "\(SafeDirectory.userName(geteuid())); refusing to keep accounts in another user's file")
        }
        if status.st_mode & 0o077 != 0, fchmod(descriptor, 0o600) != 0 {
            throw StoreError(.fileSystem, "cannot make \(path) private (mode 0600): \(String(cString: strerror(errno)))")
        }
    }

    /// The permission bits of `path`, or nil when it does not exist.
    static func mode(of path: String) -> mode_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_mode & 0o7777 : nil
    }
}
