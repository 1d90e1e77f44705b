public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child process for a test (pcscd, a virtual card): output is collected as it comes,
/// so a test can wait for a line, and the process is stopped by its own pid, never by name.
public final class ChildProcess: Sendable {
    public let name: String
    private let process: Process
    private let output = Locked(Data())

    /// Starts `executable` with `arguments`; `environment` is added to the test process's own.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], name: String? = nil) throws {
        self.name = name ?? URL(fileURLWithPath: executable).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let sink = output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
            } else {
                sink.withLock { $0.append(chunk) }
            }
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var text: String { output.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits until a line starting with `prefix` appears and returns it; throws if the process
    /// exits first or `timeout` passes.
    public func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            guard process.isRunning else { throw TestFailure("\(name) exited (\(process.terminationStatus)) before printing \(prefix): \(text)") }
            guard ContinuousClock.now < deadline else { throw TestFailure("\(name) printed no \(prefix) within \(timeout): \(text)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit.
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async throws {
        if process.isRunning { kill(process.processIdentifier, signal) }
        try await waitForExit(timeout: timeout)
    }

    public func waitForExit(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("\(name) (pid \(pid)) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Last resort for cleanup paths that cannot await: SIGKILL by pid.
    public func killNow() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { killNow() }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
public func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if (try? condition()) == true { return }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
