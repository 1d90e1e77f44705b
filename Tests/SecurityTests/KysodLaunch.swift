import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A kysod the hardening tests start by hand, with exactly the arguments a case needs (DaemonProcess always adds
/// its own socket and state directory and waits for READY=1, which a refused start never sends).
final class KysodLaunch: @unchecked Sendable {
    static let kysod = Lab.productsDirectory.appendingPathComponent("kysod").path
    /// No tokens, no pcscd: these cases are about files, sockets and the process, not tokens.
    static let quiet = ["--no-registered-modules", "--no-pcsc"]

    let process = Process()
    let logPath: String

    /// Starts `prefix + [kysod] + arguments` (a prefix such as setpriv runs it as another user).
    init(_ arguments: [String], prefix: [String] = [], environment: [String: String] = [:]) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("kysod-launch-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let command = prefix + [Self.kysod] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The exit status once kysod has stopped by itself, or nil when it was still running after `timeout` (it is
    /// then killed: a kysod that neither serves nor exits is the failure item 11 describes).
    func exitStatus(within timeout: Duration = .seconds(10)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Waits until kysod answers `GET /v1/status` on `socket`.
    func waitUntilServing(_ socket: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestFailure("kysod exited (\(process.terminationStatus)): \(output)") }
            if let status = try? Shell.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, "http://localhost/v1/status"]),
               String(decoding: status, as: UTF8.self) == "200" {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("kysod did not answer on \(socket) within \(timeout): \(output)")
    }

    func stop() async throws {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        guard try await exitStatus(within: .seconds(15)) != nil else { throw TestFailure("kysod ignored SIGTERM: \(output)") }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        unlink(logPath)
    }
}

/// A test's own folder under /tmp (mode 0755, root's), removed at the end.
final class Scratch: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-security-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    /// A sub-folder with `mode`.
    func folder(_ name: String, mode: Int = 0o755) throws -> String {
        let path = url.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode_t(mode))
        return path
    }

    /// A file with `contents` and `mode`.
    @discardableResult
    func file(_ name: String, _ contents: String = "", mode: Int = 0o600) throws -> String {
        let path = url.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)) else { throw TestFailure("cannot create \(path)") }
        chmod(path, mode_t(mode))
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Owner, mode and size of a path, not following a symlink.
struct FileFacts: Equatable, CustomStringConvertible {
    let owner: uid_t
    let mode: mode_t
    let size: Int
    let inode: UInt

    init?(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        owner = status.st_uid
        mode = status.st_mode & 0o7777
        size = Int(status.st_size)
        inode = UInt(status.st_ino)
    }

    var description: String { "owner \(owner), mode \(String(mode, radix: 8)), \(size) bytes, inode \(inode)" }
}

extension LocalUser {
    /// A command prefix that runs the rest as this user (what `run` does, for a process the test keeps).
    var setpriv: [String] { ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--no-new-privs"] }
}
