import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// kysod's hold on its state directory, taken before the database or `host.key` is opened and kept for the life
/// of the process.
///
/// The directory and everything in it must be kysod's own: owned by its effective user and writable by nobody
/// else (a state directory another user made could hold their `host.key`, or their WAL file). And one kysod at a
/// time: an exclusive `flock` on `kysod.lock`, so a second kysod on the same directory stops instead of opening
/// the database beside the first.
public final class StateDirectoryClaim: Sendable {
    public static let lockFileName = "kysod.lock"

    public let path: String
    private let lock: CInt

    /// Creates the directory (mode 0700) when missing, checks it and its files, and locks it.
    /// - Throws: `fileSystem` saying what is wrong and how to fix it.
    public init(_ path: String) throws(StoreError) {
        self.path = path
        try StateFiles.ensureDirectory(path)
        let folder: SafeDirectory
        do { folder = try SafeDirectory(path, role: "state directory", rootMayOwn: false) } catch {
            throw StoreError(.fileSystem, error.description)
        }
        defer { close(folder.descriptor) }
        lock = try Self.takeLock(in: folder)
        do throws(StoreError) {
            try Self.checkEntries(of: folder)
        } catch {
            close(lock)
            throw error
        }
    }

    deinit { close(lock) }

    private static func takeLock(in folder: SafeDirectory) throws(StoreError) -> CInt {
        let name = "\(folder.path)/\(lockFileName)"
        let descriptor = openat(folder.descriptor, lockFileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.fileSystem, "cannot open \(name): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            let holder = busy ? readHolder(descriptor) : nil
            close(descriptor)
            throw StoreError(.fileSystem, busy
                ? "another kysod\(holder.map { " (pid \($0))" } ?? "") is using the state directory \(folder.path); refusing to start a second one on it"
                : "cannot lock \(name): \(reason)")
        }
        // The holder's pid, for the message a second kysod prints.
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 { _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, text.count, 0) } }
        return descriptor
    }

    private static func readHolder(_ descriptor: CInt) -> String? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text) != nil ? text : nil
    }

    /// Every entry must be kysod's own and not writable by others; symlinks are refused (kysod makes none).
    private static func checkEntries(of folder: SafeDirectory) throws(StoreError) {
        // Listed through the checked folder's own descriptor (a copy: closedir closes it), not its path again.
        let listing = dup(folder.descriptor)
        guard listing >= 0, let stream = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            throw StoreError(.fileSystem, "cannot list the state directory \(folder.path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var status = stat()
            guard fstatat(folder.descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }
                throw StoreError(.fileSystem, "cannot check \(folder.path)/\(name): \(String(cString: strerror(errno)))")
            }
            if status.st_mode & S_IFMT == S_IFLNK {
                throw StoreError(.fileSystem, "refusing the state directory \(folder.path): \(name) is a symlink; kysod keeps only its "
                    + "own files there. Remove it")
            }
            if let problem = SafeDirectory.problem(owner: status.st_uid, mode: status.st_mode, rootMayOwn: false) {
                throw StoreError(.fileSystem, "refusing the state directory \(folder.path): \(name): \(problem)")
            }
        }
    }
}
