import Foundation
import KysoTestSupport
import PCSC

/// A pcscd of the test's own, with its own socket and vpcd readers (see Tools/vcard/private-pcscd).
///
/// libpcsclite reads `PCSCLITE_CSOCK_NAME` once per process, so the socket path is one per test
/// process (``socketPath``), set with `setenv` before the first PC/SC call; every fixture binds
/// it in turn. Tests that use it must run one at a time (they live under `LivePCSC`, `.serialized`).
final class PrivatePCSCD: Sendable {
    /// The socket every private pcscd of this test process listens on: `PCSCLITE_CSOCK_NAME` when the
    /// test run sets it (do so when other tests in the same process may touch PC/SC first, e.g. by
    /// loading OpenSC: libpcsclite keeps the first path it sees), otherwise a fresh path set here.
    static let socketPath: String = {
        if let given = ProcessInfo.processInfo.environment["PCSCLITE_CSOCK_NAME"], !given.isEmpty {
            try? FileManager.default.createDirectory(atPath: (given as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            return given
        }
        let directory = "/tmp/kyso-pcscd-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/pcscd.comm"
        setenv("PCSCLITE_CSOCK_NAME", path, 1)
        atexit { _ = try? FileManager.default.removeItem(atPath: "/tmp/kyso-pcscd-\(getpid())") }
        return path
    }()

    /// Whether pcscd and the vpcd driver are installed (tests that need them are skipped otherwise).
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/pcscd")
            && FileManager.default.fileExists(atPath: "/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
    }

    let configDirectory: String
    /// The vpcd entries (CHANNELIDs); each gives readers `Kyso vpcd P 00 00` (port P) and `… 00 01` (P+1).
    let vpcdPorts: [UInt16]
    let process: ChildProcess

    /// Starts pcscd with one vpcd entry per port in `vpcdPorts` and waits until it lists their readers.
    init(configDirectory: String, vpcdPorts: [UInt16], extraArguments: [String] = []) async throws {
        _ = Self.socketPath
        try FileManager.default.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
        self.configDirectory = configDirectory
        self.vpcdPorts = vpcdPorts
        var arguments = ["--socket", Self.socketPath, "--config-dir", configDirectory]
        for port in vpcdPorts { arguments += ["--vpcd", String(port)] }
        if !extraArguments.isEmpty { arguments += ["--"] + extraArguments }
        process = try ChildProcess(Lab.toolPath("Tools/vcard/private-pcscd"), arguments, name: "pcscd")
        let expected = Set(readerNames)
        try await eventually("pcscd listing \(expected.sorted()) on \(Self.socketPath) (if another test in this process used PC/SC first, libpcsclite may be bound to another socket: set PCSCLITE_CSOCK_NAME for the whole test run)") {
            guard process.isRunning else { throw TestFailure("pcscd exited: \(process.text)") }
            let context = try PCSCContext()
            defer { try? context.release() }
            return Set(try context.readers()) == expected
        }
    }

    /// The reader names this pcscd's configuration gives.
    var readerNames: [String] { vpcdPorts.flatMap { Self.readerNames(port: $0) } }

    static func readerNames(port: UInt16) -> [String] { VPCDPorts.readerNames(port: port) }

    /// Graceful stop (SIGTERM), as `systemctl stop pcscd` would.
    func stop() async throws { try await process.stop() }

    /// Crash (SIGKILL).
    func kill() async throws { try await process.stop(signal: SIGKILL) }
}
