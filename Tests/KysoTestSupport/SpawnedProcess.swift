public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running helper (sshd, ssh, p11-kit server) started with posix_spawn instead of Foundation's `Process`.
///
/// Foundation learns that a child exited from end-of-file on a socket the child inherits, then calls a blocking
/// `waitpid` for it. sshd and ssh close every inherited descriptor as they start (closefrom), so Foundation takes them
/// for dead at once and its one monitor thread blocks in `waitpid` until they really exit: every other `Process` in
/// the test run then waits for ever. Seen here: `Shell.run("ssh-keygen")` hung in `waitUntilExit` beside an sshd.
///
/// The child gets standard input from /dev/null, standard output and error appended to `logPath`, and no other
/// descriptor of the test process (so it cannot hold another test's pipe open).
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    private let state = NSLock()
    private var exitStatus: Int32?

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = Self.addCloseFrom else { throw TestFailure("glibc lacks posix_spawn_file_actions_addclosefrom_np") }
        _ = closeFrom(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which the Glibc module does not import.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits for the exit; returns the exit code (128 + signal for a signal).
    public func wait() -> Int32 {
        let status = reap(blocking: true) ?? -1
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns the wait status.
    @discardableResult
    public func stop(grace: TimeInterval = 5) -> Int32? {
        if isRunning { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        return reap(blocking: true)
    }

    private func reap(blocking: Bool) -> Int32? {
        state.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            if waitpid(pid, &status, blocking ? 0 : WNOHANG) == pid { exitStatus = status }
            return exitStatus
        }
    }

    deinit { stop() }
}
