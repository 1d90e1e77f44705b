import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KysoAPI
import KysoTestSupport
import Testing

/// A crashing module isolated by p11-kit's `remote:` option, the way an admin registers a dubious vendor module.
///
/// What p11-kit 0.24 supports (checked here, Debian 0.24.1): a module file may say
/// `remote: |/usr/libexec/p11-kit/p11-kit-remote /path/module.so` instead of `module:`, and p11-kit then runs the
/// module in that child process and speaks RPC to it; only *registered* modules get this (module files read by
/// `p11_kit_modules_load`), not a module loaded by path. There is no environment variable for the configuration
/// folder: the per-user folder (~/.config/pkcs11/modules, from $HOME; XDG_CONFIG_HOME is not read) is skipped
/// when the process runs as root, as tests here do. So the test gives kysod a private mount namespace
/// (`unshare -m`) in which a folder of its own is bind-mounted over /usr/share/p11-kit/modules: the system's
/// files stay untouched and other tests never see the fake module.
@Suite("kysod with a crashing module isolated by p11-kit remote:", .enabled(if: IsolatedKysod.isPossible))
struct RemoteModuleTests {
    @Test("abort() in the isolated module kills only p11-kit-remote: kysod answers, other tokens sign, the module shows failed and its token is withdrawn until it behaves",
          .timeLimit(.minutes(2)))
    func isolatedCrash() async throws {
        let (labDirectory, _) = try await Lab.copy()
        let fake = try FakeModule(labDirectory: labDirectory)
        let modules = fake.directory.appendingPathComponent("modules")
        try FileManager.default.createDirectory(at: modules, withIntermediateDirectories: true)
        try "remote: |/usr/libexec/p11-kit/p11-kit-remote \(try FakeModule.libraryPath)\n"
            .write(to: modules.appendingPathComponent("kyso-fake.module"), atomically: true, encoding: .utf8)
        try "module: \(Lab.softHSMModule)\n".write(to: modules.appendingPathComponent("softhsm2.module"), atomically: true, encoding: .utf8)
        let daemon = try await IsolatedKysod(
            moduleFolder: modules.path, arguments: ["--no-pcsc", "--poll-interval", "0.2"],
            environment: fake.environment.merging(["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path]) { $1 })
        defer { daemon.kill() }
        let client = KysoClient(socketPath: daemon.socketPath)
        let before = try await client.status()
        #expect(before.status?.modules.map(\.name).sorted() == ["kyso-fake", "softhsm2"], "\(String(describing: before.status?.modules))")
        let fakeToken = try #require(try await client.tokens().first { $0.label == "kyso-fake" })
        let vnpt = try #require(try await client.tokens().first { $0.label == "kyso-vnpt" })

        try fake.misbehave(["slots": "crash"])
        try await fake.waitFor("C_GetSlotList abort")
        // The module keeps crashing meanwhile: kysod initialises it again (a new p11-kit-remote) on a backoff.
        // Three failed slot listings in a row against the dead remote (0.2 s poll, 0.3 s retries) make it failed.
        let failed = await eventually(timeout: .seconds(5)) {
            (try? await client.status().status?.modules.first { $0.name == "kyso-fake" }?.state) == .failed
        }
        #expect(daemon.isRunning, "kysod died with its isolated module: \(daemon.log().suffix(2000))")
        let after = try await client.status()
        #expect(after.code == 200)
        #expect(try await client.sign(vnpt.id).status == 200)
        let onFake = try await client.sign(fakeToken.id)
        #expect(onFake.status >= 400 && onFake.status != 504, "\(onFake)")
        let fakeModule = after.status?.modules.first { $0.name == "kyso-fake" }
        print("fault: isolated module abort() → kysod up; status shows \(String(describing: fakeModule)); sign on it → \(onFake)")
        #expect(failed && fakeModule?.state == .failed && fakeModule?.error != nil && fakeModule?.tokenCount == 0,
                "\(String(describing: fakeModule))")
        #expect(try await !client.tokens().contains { $0.label == "kyso-fake" }, "the dead module's token is still listed")
        #expect(try await client.tokens().contains { $0.label == "kyso-vnpt" })
        // Once the module behaves, the next re-initialisation (within the backoff's 0.5-10 s steps) brings it back.
        try fake.misbehave([:])
        let back = await eventually(timeout: .seconds(30)) {
            (try? await client.tokens().contains { $0.label == "kyso-fake" }) == true
        }
        #expect(back, "the module's token did not come back: \(daemon.log().suffix(2000))")
        #expect(try await daemon.stop() == 0)
    }
}

/// kysod in a private mount namespace whose /usr/share/p11-kit/modules is `moduleFolder`, with registered modules on.
/// Ready when GET /v1/status answers (the API answers only once the first inventory is in).
final class IsolatedKysod: @unchecked Sendable {
    let directory: URL
    let socketPath: String
    let logPath: String
    private let process = Process()

    /// Root, `unshare` and a p11-kit with p11-kit-remote: what the bind mount and the remote: option need.
    static let isPossible: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/libexec/p11-kit/p11-kit-remote"),
              FileManager.default.fileExists(atPath: "/usr/share/p11-kit/modules") else { return false }
        return (try? Shell.run("unshare", ["-m", "--propagation", "private", "true"])) != nil
    }()

    init(moduleFolder: String, arguments: [String], environment: [String: String]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kysod-isolated-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("run/kysod.sock").path
        logPath = directory.appendingPathComponent("kysod.log").path
        let kysod = Lab.productsDirectory.appendingPathComponent("kysod").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "--", "/bin/sh", "-c",
                             #"mount --bind "$0" /usr/share/p11-kit/modules && exec "$@""#, moduleFolder,
                             kysod, "--socket", socketPath, "--state-dir", directory.appendingPathComponent("state").path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let client = KysoClient(socketPath: socketPath)
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? await client.request(.GET, "/v1/status"))?.status != 200 {
            guard process.isRunning else { throw TestFailure("isolated kysod exited: \(self.log())") }
            guard ContinuousClock.now < deadline else { throw TestFailure("isolated kysod not ready: \(self.log())") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    var isRunning: Bool { process.isRunning }
    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM (exec kept kysod's pid) and the exit status.
    func stop(timeout: Duration = .seconds(15)) async throws -> Int32 {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw TestFailure("isolated kysod did not stop within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
