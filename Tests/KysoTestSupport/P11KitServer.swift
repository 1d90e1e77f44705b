public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `p11-kit server` serving one module's tokens on a Unix socket, run as `uid` (the token server's account, the one
/// SSH logins use): p11-kit server admits only connections from its own uid, or from `--user`'s.
public final class P11KitServer: @unchecked Sendable {
    public let socketPath: String
    public let directory: URL
    private let process: SpawnedProcess

    /// `tokenURI` picks the tokens served (`pkcs11:token=LABEL`); `environment` reaches the module (SOFTHSM2_CONF).
    public init(module: String, tokenURI: String, uid: uid_t, environment: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-p11-kit-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        guard chown(directory.path, uid, gid_t(uid)) == 0 else { throw TestFailure("chown \(directory.path): \(errno)") }
        socketPath = directory.appendingPathComponent("pkcs11.sock").path
        process = try SpawnedProcess(
            "/usr/bin/setpriv",
            ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/p11-kit", "server", "--foreground", "--provider", module,
             "--name", socketPath, tokenURI],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            logPath: directory.appendingPathComponent("server.log").path)
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else { throw TestFailure("p11-kit server did not start: \(log())") }
            usleep(20_000)
        }
    }

    public func log() -> String { process.log() }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
