import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn (not Foundation's Process), so "process start" in a timing is the
/// spawn call itself and nothing else.
final class Child: @unchecked Sendable {
    let pid: pid_t
    let startedAt: UInt64
    private var exitStatus: Int32?

    /// Starts `executable` with exactly `environment`; stdout and stderr go to `output` (default /dev/null).
    init(_ executable: String, _ arguments: [String], environment: [String: String], output: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        startedAt = Clock.nanoseconds()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw TestFailure("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// Non-blocking: whether the child is still running (reaps it when it has exited).
    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { exitStatus = status; return false }
        return result == 0
    }

    /// Blocks until the child exits; returns its wait status.
    @discardableResult
    func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
        return status
    }

    /// Sends `signal` and waits up to `timeout` seconds, then SIGKILL.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) {
        guard isRunning else { return }
        kill(pid, signal)
        let deadline = Clock.nanoseconds() + UInt64(timeout * 1e9)
        while isRunning {
            if Clock.nanoseconds() > deadline { kill(pid, SIGKILL); wait(); return }
            usleep(2000)
        }
    }

    deinit { if exitStatus == nil { kill(pid, SIGKILL); wait() } }

    /// Runs a command to completion with output discarded; returns (wall seconds from spawn to exit, exit code).
    static func timed(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (seconds: Double, status: Int32) {
        let child = try Child(executable, arguments, environment: environment)
        let status = child.wait()
        let seconds = Double(Clock.nanoseconds() - child.startedAt) / 1e9
        return (seconds, (status >> 8) & 0xff)
    }
}

enum Clock {
    /// CLOCK_MONOTONIC in nanoseconds.
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// Runs a command and returns its standard output (for setup and for checking what a peer tool listed).
@discardableResult
func capture(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let (text, status) = try captureWithStatus(executable, arguments, environment: environment)
    guard status == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(status): \(text.suffix(2000))")
    }
    return text
}

/// Standard output and error together, and the exit status.
func captureWithStatus(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (String, Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), process.terminationStatus)
}

/// An executable on PATH, as an absolute path.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
