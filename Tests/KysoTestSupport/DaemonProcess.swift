public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A kysod started for one test: its own folder, socket, configuration and log, and a NOTIFY_SOCKET the test
/// listens on, so "ready" means what systemd would hear.
public final class DaemonProcess: @unchecked Sendable {
    public let directory: URL
    public let socketPath: String
    public let logPath: String
    private let process = Process()
    private let notify: NotifyListener

    /// Starts kysod and waits for READY=1.
    public init(arguments: [String] = [], configuration: String? = nil, environment: [String: String] = [:],
                readyTimeout: Duration = .seconds(30)) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kysod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("run/kysod.sock").path
        logPath = directory.appendingPathComponent("kysod.log").path
        notify = try NotifyListener(path: directory.appendingPathComponent("notify.sock").path)
        var arguments = ["--socket", socketPath, "--state-dir", directory.appendingPathComponent("state").path] + arguments
        if let configuration {
            let path = directory.appendingPathComponent("kysod.json")
            try configuration.write(to: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path.path]
        }
        process.executableURL = Lab.productsDirectory.appendingPathComponent("kysod")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["NOTIFY_SOCKET"] = notify.path
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = logFile
        process.standardOutput = logFile
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + readyTimeout
        while true {
            if let message = notify.receive(), message.contains("READY=1") { break }
            guard process.isRunning else { throw TestFailure("kysod exited (\(process.terminationStatus)) before READY=1: \(log())") }
            guard ContinuousClock.now < deadline else { throw TestFailure("kysod not ready within \(readyTimeout): \(log())") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var terminationStatus: Int32 { process.terminationStatus }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Messages kysod sent to systemd since the last call (`STOPPING=1`, `WATCHDOG=1`).
    public func notifications() -> [String] {
        var messages: [String] = []
        while let message = notify.receive() { messages.append(message) }
        return messages
    }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(15)) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("kysod did not stop within \(timeout) after signal \(signal)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A Unix datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestFailure("bind \(path): \(errno)") }
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    deinit { close(fd) }
}
