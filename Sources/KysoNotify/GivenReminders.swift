import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The reminders `kyso notify` has shown (a certificate's 30-, 7- and 1-day and expired reminders, a renewal
/// noticed), kept in a small file so that none is shown twice: kysod keeps its own record in memory only and sends
/// every pending reminder again after a restart, and the notifier itself restarts with each login.
///
/// The file is `$XDG_STATE_HOME/kyso/notify-reminders.json` (`~/.local/state/kyso/…` without it), rewritten whole
/// and atomically (a temporary file, fsync, rename) so a crash leaves the old list or the new one, never half of
/// one. It keeps the newest `limit` (500) keys: a key is a certificate's fingerprint and threshold, so old ones stop
/// mattering once the certificate has ended.
final class GivenReminders {
    static let defaultLimit = 500

    let file: URL
    let limit: Int
    private var keys: [String]
    private var index: Set<String>

    /// Reads the list; a missing file is an empty one, and so is an unreadable one (reported through `problem`).
    convenience init(file: URL, limit: Int = defaultLimit, problem: (String) -> Void = { _ in }) {
        self.init(file: file, limit: limit, contents: FileManager.default.contents(atPath: file.path), problem: problem)
    }

    /// The list as `kyso notify` starts: the file read on a thread pool thread, not the cooperative pool.
    static func load(file: URL, problem: (String) -> Void) async -> GivenReminders {
        let contents = (try? await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: file.path) }) ?? nil
        return GivenReminders(file: file, limit: defaultLimit, contents: contents, problem: problem)
    }

    private init(file: URL, limit: Int, contents: Data?, problem: (String) -> Void) {
        self.file = file
        self.limit = limit
        keys = []
        if let data = contents {
            if let stored = try? JSONDecoder().decode(Stored.self, from: data) {
                keys = stored.given
            } else {
                problem(file.path)
            }
        }
        index = Set(keys)
    }

    func contains(_ key: String) -> Bool { index.contains(key) }

    /// Adds `key` and writes the file (on a thread pool thread: fsync blocks).
    func record(_ key: String) async throws {
        guard index.insert(key).inserted else { return }
        keys.append(key)
        if keys.count > limit {
            let dropped = keys.prefix(keys.count - limit)
            dropped.forEach { index.remove($0) }
            keys.removeFirst(dropped.count)
        }
        let data = try JSONEncoder().encode(Stored(given: keys))
        let file = self.file
        try await NIOThreadPool.singleton.runIfActive { try Self.writeAtomically(data, to: file) }
    }

    /// The default place: `$XDG_STATE_HOME/kyso/notify-reminders.json`, else `$HOME/.local/state/kyso/…`.
    static func defaultFile(environment: [String: String]) -> URL {
        let base: URL
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            base = URL(fileURLWithPath: state)
        } else {
            base = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".local/state")
        }
        return base.appendingPathComponent("kyso/notify-reminders.json")
    }

    private struct Stored: Codable {
        var given: [String]
    }

    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    /// Temporary file beside the target (same filesystem, so rename is atomic), fsync, rename, fsync the folder.
    static func writeAtomically(_ data: Data, to file: URL) throws {
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "\(temporary.path): \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary.path, file.path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary.path)
            throw WriteError(description: "\(file.path): \(failure)")
        }
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
