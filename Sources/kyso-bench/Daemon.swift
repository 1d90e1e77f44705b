import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A kysod started by the benchmark, with a NOTIFY_SOCKET of the benchmark's own: `readySeconds` is the time
/// from posix_spawn to the READY=1 datagram, what systemd would wait for.
final class Daemon: @unchecked Sendable {
    let socketPath: String
    let directory: URL
    let readySeconds: Double
    let name: String
    private let child: Child
    var pid: pid_t { child.pid }

    struct Setup: Sendable {
        var softhsmConf: String
        var modules: [String] = [BenchEnvironment.softHSM]
        /// PCSCLITE_CSOCK_NAME of a private pcscd, or nil for --no-pcsc.
        var pcscSocket: String?
        var configuration: String?
        var pollInterval: Double?
    }

    init(_ setup: Setup, in parent: URL, name: String) throws {
        self.name = name
        directory = parent.appendingPathComponent("kysod-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("kysod.sock").path
        let notify = try NotifySocket(path: directory.appendingPathComponent("notify.sock").path)
        var arguments = ["--socket", socketPath, "--state-dir", directory.appendingPathComponent("state").path,
                         "--no-registered-modules"]
        for module in setup.modules { arguments += ["--module", module] }
        if setup.pcscSocket == nil { arguments.append("--no-pcsc") }
        if let interval = setup.pollInterval { arguments += ["--poll-interval", String(interval)] }
        if let configuration = setup.configuration {
            let path = directory.appendingPathComponent("kysod.json").path
            try configuration.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path]
        }
        var environment = BenchEnvironment.base
        environment["SOFTHSM2_CONF"] = setup.softhsmConf
        environment["NOTIFY_SOCKET"] = notify.path
        if let pcsc = setup.pcscSocket { environment["PCSCLITE_CSOCK_NAME"] = pcsc }
        child = try Child(BenchEnvironment.binary("kysod"), arguments, environment: environment,
                          output: directory.appendingPathComponent("kysod.log").path)
        let logPath = directory.appendingPathComponent("kysod.log").path
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        let deadline = child.startedAt + 60_000_000_000
        while true {
            if let message = notify.receive(waitMilliseconds: 20), message.contains("READY=1") { break }
            guard child.isRunning else { throw TestFailure("kysod exited before READY=1: \(log().suffix(2000))") }
            guard Clock.nanoseconds() < deadline else { throw TestFailure("kysod not ready in 60 s: \(log().suffix(2000))") }
        }
        readySeconds = Double(Clock.nanoseconds() - child.startedAt) / 1e9
    }

    func stats() throws -> ProcStats {
        guard child.isRunning else { throw TestFailure("kysod (\(name)) is gone: \(exitDescription); log: \(log().suffix(1500))") }
        return try ProcStats.read(child.pid)
    }

    var isRunning: Bool { child.isRunning }

    /// How kysod ended, for failure messages.
    var exitDescription: String {
        guard !child.isRunning else { return "still running" }
        let status = child.wait()
        return status & 0x7f == 0 ? "exited \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
    }
    func log() -> String { (try? String(contentsOfFile: directory.appendingPathComponent("kysod.log").path, encoding: .utf8)) ?? "" }
    func stop() { child.stop() }
    deinit { child.stop(signal: SIGKILL) }
}

/// systemd's NOTIFY_SOCKET, played by a Unix datagram socket.
final class NotifySocket {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("notify path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw TestFailure("bind \(path): \(errno)") }
    }

    /// One datagram, waiting up to `waitMilliseconds` for it (poll wakes at once when it arrives).
    func receive(waitMilliseconds: Int32) -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, waitMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    deinit { close(fd) }
}

/// Paths and the environment shared by everything the benchmark starts.
enum BenchEnvironment {
    static let softHSM = "/usr/lib/softhsm/libsofthsm2.so"
    static let openSC = "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"

    /// A clean environment: PATH, HOME, LANG; no SOFTHSM2_CONF or PCSC socket of the caller's leaks in.
    static var base: [String: String] {
        let current = ProcessInfo.processInfo.environment
        var environment = ["PATH": current["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "HOME": current["HOME"] ?? "/tmp",
                           "LANG": "C.UTF-8"]
        if let runtime = current["XDG_RUNTIME_DIR"] { environment["XDG_RUNTIME_DIR"] = runtime }
        return environment
    }

    /// kysod and kyso from the same build as this benchmark (they sit beside it).
    static func binary(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name).path
    }
}

/// Runs a measurement against `daemon`; if it fails, says whether kysod is still alive.
func checked<T>(_ daemon: Daemon, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch {
        usleep(100_000)
        throw TestFailure("\(error) [kysod \(daemon.name): \(daemon.exitDescription)]")
    }
}
