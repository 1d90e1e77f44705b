import Foundation
import KysoStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The API socket's file, made so that kysod (often root) never acts on a path someone else can change.
///
/// The socket's folder must belong to kysod's user or root and be writable by nobody else; otherwise its owner
/// could swap the socket for a symlink between `bind` and `chmod` and have kysod change the mode of any file.
/// kysod binds inside a private folder of its own (mode 0700), sets the mode and group there, and links the
/// finished socket into place, all through descriptors of the folders it checked; an existing socket is replaced only when nothing answers on it (a live kysod
/// keeps its socket), and anything else at the path (a file, a symlink, a folder) is left alone and refused.
enum SocketFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A bound, listening socket at `path` (mode 0660, `group` when it exists): the descriptor.
    static func listen(at path: String, group: String?, backlog: Int32, logger: Logger) throws(Failure) -> CInt {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard !directory.isEmpty, !name.isEmpty, name != ".", name != ".." else {
            throw Failure(description: "socket path \(path) must name a file in a folder")
        }
        try prepareDirectory(directory)
        let folder: SafeDirectory
        do { folder = try SafeDirectory(directory, role: "socket folder") } catch { throw Failure(description: error.description) }
        defer { close(folder.descriptor) }
        try checkNothingLive(at: path, name: name, in: folder)

        // The private folder, made and used through descriptors: nobody but kysod's user (and root) can create or
        // swap anything in it, and renaming a folder above it changes nothing either.
        let privateName = ".kysod-bind-\(UInt64.random(in: .min ... .max))"
        guard mkdirat(folder.descriptor, privateName, 0o700) == 0 else {
            throw Failure(description: "cannot create a private folder in \(directory): \(errorText())")
        }
        defer { unlinkat(folder.descriptor, privateName, AT_REMOVEDIR) }
        let privateFolder = openat(folder.descriptor, privateName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard privateFolder >= 0 else { throw Failure(description: "cannot open the private folder in \(directory): \(errorText())") }
        defer {
            unlinkat(privateFolder, "s", 0)
            close(privateFolder)
        }
        let socketDescriptor = try bindListening(
            in: privateFolder, fallback: directory + "/" + privateName + "/s", backlog: backlog, shownAs: path)
        do throws(Failure) {
            try restrict(privateFolder, "s", shownAs: path, group: group, logger: logger)
            // link(2) never replaces: a socket that appeared meanwhile (another kysod starting) wins, and we stop.
            guard linkat(privateFolder, "s", folder.descriptor, name, 0) == 0 else {
                throw Failure(description: errno == EEXIST
                    ? "\(path) appeared while kysod was starting (another kysod?); not replacing it"
                    : "cannot put the socket at \(path): \(errorText())")
            }
        } catch {
            close(socketDescriptor)
            throw error
        }
        return socketDescriptor
    }

    /// Creates the socket's folder (0755: the socket's own mode decides access) when it is missing.
    private static func prepareDirectory(_ directory: String) throws(Failure) {
        var status = stat()
        guard lstat(directory, &status) != 0, errno == ENOENT else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw Failure(description: "cannot create the socket folder \(directory): \(error.localizedDescription)")
        }
    }

    /// Refuses a path that holds anything but a stale socket, and a socket somebody still listens on; removes a
    /// stale one.
    private static func checkNothingLive(at path: String, name: String, in folder: SafeDirectory) throws(Failure) {
        var status = stat()
        if fstatat(folder.descriptor, name, &status, AT_SYMLINK_NOFOLLOW) != 0 {
            guard errno == ENOENT else { throw Failure(description: "cannot check \(path): \(errorText())") }
            return
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure(description: "\(path) exists and is \(FileKind.describe(status.st_mode)), not a socket; kysod replaces only "
                + "a stale socket of its own. Remove it, or choose another path with --socket")
        }
        switch probe(through(folder.descriptor, name) ?? path) {
        case .answered:
            throw Failure(description: "another kysod (or some other program) is listening on \(path); refusing to take its socket. "
                + "Stop it first, or choose another path with --socket")
        case .stale:
            guard unlinkat(folder.descriptor, name, 0) == 0 || errno == ENOENT else {
                throw Failure(description: "cannot remove the stale socket \(path): \(errorText())")
            }
        case .failed(let reason):
            throw Failure(description: "cannot tell whether a kysod listens on \(path): \(reason)")
        }
    }

    enum Probe: Equatable {
        case answered, stale
        case failed(String)
    }

    /// connect(2) to the existing socket: whether something listens there.
    static func probe(_ path: String) -> Probe {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failed(errorText()) }
        defer { close(descriptor) }
        guard var address = UnixAddress(path) else { return .failed("the path is too long for a Unix socket") }
        if address.connect(descriptor) == 0 { return .answered }
        return errno == ECONNREFUSED ? .stale : .failed(errorText())
    }

    /// `/proc/self/fd/N/name`: a path that reaches `name` through the open folder `N`, whatever happens to the
    /// folder's own path meanwhile; nil when /proc is not there.
    private static func through(_ folder: CInt, _ name: String) -> String? {
        access("/proc/self/fd", F_OK) == 0 ? "/proc/self/fd/\(folder)/\(name)" : nil
    }

    /// Binds `s` in the private folder (through its descriptor where /proc allows) and listens.
    private static func bindListening(in folder: CInt, fallback: String, backlog: Int32, shownAs path: String) throws(Failure) -> CInt {
        let boundPath = through(folder, "s") ?? fallback
        guard var address = UnixAddress(boundPath) else {
            throw Failure(description: "socket path \(path) is too long (kysod binds it as \(boundPath), at most "
                + "\(UnixAddress.capacity - 1) bytes)")
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "cannot create a socket: \(errorText())") }
        guard address.bind(descriptor) == 0, Glibc.listen(descriptor, backlog) == 0 else {
            let reason = errorText()
            close(descriptor)
            throw Failure(description: "cannot listen on \(path): \(reason)")
        }
        return descriptor
    }

    /// Group and mode 0660 on the socket inside kysod's private folder, without following a symlink.
    private static func restrict(_ folder: CInt, _ name: String, shownAs path: String, group: String?, logger: Logger) throws(Failure) {
        if let group {
            if let gid = AccessPolicy.gid(of: group) {
                guard fchownat(folder, name, uid_t.max, gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw Failure(description: "cannot give \(path) to group \(group): \(errorText())")
                }
            } else {
                logger.warning("socket group does not exist; the socket stays with the daemon's group",
                               metadata: ["group": "\(group)"])
            }
        }
        var changed = fchmodat(folder, name, 0o660, AT_SYMLINK_NOFOLLOW) == 0
        if !changed, errno == ENOTSUP || errno == EOPNOTSUPP {
            // A C library without fchmodat(AT_SYMLINK_NOFOLLOW): the private folder, reached by its descriptor, is
            // kysod's alone; what is in it is the socket kysod just bound, which is checked again to be sure.
            var status = stat()
            changed = fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0 && status.st_mode & S_IFMT == S_IFSOCK
                && fchmodat(folder, name, 0o660, 0) == 0
        }
        guard changed else { throw Failure(description: "cannot set mode 0660 on \(path): \(errorText())") }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// A `sockaddr_un` for a path.
struct UnixAddress {
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    private var storage = sockaddr_un()

    init?(_ path: String) {
        let bytes = Array(path.utf8)
        guard bytes.count < Self.capacity else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
    }

    mutating func bind(_ descriptor: CInt) -> CInt {
        withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    mutating func connect(_ descriptor: CInt) -> CInt {
        withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
