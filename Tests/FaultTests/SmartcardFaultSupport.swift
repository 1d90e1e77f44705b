import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KysoTestSupport

/// A private pcscd (Tools/vcard/private-pcscd) that a test may kill, restart on the same socket and readers, and
/// stop with SIGSTOP. SmartcardLab keeps its pcscd to itself; these tests need the process in hand.
final class ControllablePCSCD: @unchecked Sendable {
    let directory: URL
    let socketPath: String
    let port: UInt16
    private var process: Process?

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-fault-pcsc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("pcscd.comm").path
        port = try VPCDPorts.free()[0]
        try await start()
    }

    var environment: [String: String] { ["PCSCLITE_CSOCK_NAME": socketPath, "OPENSC_CONF": "/etc/opensc/opensc.conf"] }
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Starts pcscd (again) on the same socket and vpcd port; returns once the socket answers.
    func start() async throws {
        try? FileManager.default.removeItem(atPath: socketPath)
        let process = Process()
        process.executableURL = Lab.repositoryRoot.appendingPathComponent("Tools/vcard/private-pcscd")
        process.arguments = ["--socket", socketPath, "--config-dir", directory.appendingPathComponent("readers").path, "--vpcd", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard ContinuousClock.now < deadline, process.isRunning else { throw TestFailure("private pcscd did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `kill -9`: pcscd vanishes without a goodbye, as after a crash or an OOM kill.
    func crash() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func signal(_ number: Int32) {
        if let process, process.isRunning { kill(process.processIdentifier, number) }
    }

    /// A key and a certificate from the lab's TEST provider CA.
    func identity(labDirectory: URL, name: String = "card") throws -> (key: String, certificate: String) {
        let key = directory.appendingPathComponent("\(name).key.pem").path
        let certificate = directory.appendingPathComponent("\(name).cert.der").path
        try Shell.run(Lab.repositoryRoot.appendingPathComponent("Tools/vcard/test-identity").path,
                      ["--key", key, "--cert", certificate, "--provider", "viettel", "--pki-dir", labDirectory.appendingPathComponent("pki").path])
        return (key, certificate)
    }

    func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
