public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private pcscd with one vpcd reader pair (Tools/vcard/private-pcscd), for a kysod under test to watch, and
/// virtual PIV cards (Tools/vcard/piv-card) to plug into it. Nothing here touches the system pcscd.
public final class SmartcardLab: @unchecked Sendable {
    public static let openSCModule = "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"

    public let directory: URL
    public let socketPath: String
    public let port: UInt16
    private let pcscd: Process

    /// Whether pcscd and vpcd are installed; tests that need them skip otherwise.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/pcscd")
            && FileManager.default.fileExists(atPath: "/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
    }

    public init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-pcsc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("pcscd.comm").path
        port = try VPCDPorts.free()[0]
        pcscd = Process()
        pcscd.executableURL = Lab.repositoryRoot.appendingPathComponent("Tools/vcard/private-pcscd")
        pcscd.arguments = ["--socket", socketPath, "--config-dir", directory.appendingPathComponent("readers").path, "--vpcd", String(port)]
        pcscd.standardOutput = FileHandle.nullDevice
        pcscd.standardError = FileHandle.nullDevice
        try pcscd.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard ContinuousClock.now < deadline, pcscd.isRunning else { throw TestFailure("private pcscd did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The environment a client of this pcscd (kysod) needs.
    public var environment: [String: String] { ["PCSCLITE_CSOCK_NAME": socketPath] }

    /// A key and a certificate from the lab's TEST provider CA (Vietnamese enterprise subject, valid tax code).
    public func identity(labDirectory: URL, provider: String = "viettel", name: String = "card") throws -> (key: String, certificate: String) {
        let key = directory.appendingPathComponent("\(name).key.pem").path
        let certificate = directory.appendingPathComponent("\(name).cert.der").path
        try Shell.run(Lab.repositoryRoot.appendingPathComponent("Tools/vcard/test-identity").path,
                      ["--key", key, "--cert", certificate, "--provider", provider, "--pki-dir", labDirectory.appendingPathComponent("pki").path])
        return (key, certificate)
    }

    /// Inserts a virtual PIV card (PIN 123456) with `retries` PIN tries; returns when vpcd has it.
    public func insert(key: String, certificate: String, retries: Int = 3) async throws -> VirtualPIVCard {
        try await VirtualPIVCard(port: port, key: key, certificate: certificate, retries: retries)
    }

    public func stop() {
        terminate(pcscd)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { if pcscd.isRunning { kill(pcscd.processIdentifier, SIGKILL) } }
}

/// A running Tools/vcard/piv-card: inserted while it runs.
public final class VirtualPIVCard: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    /// When the card connected to vpcd (wall clock, as the card program reports it).
    public private(set) var connectedAt = Date()
    public private(set) var tokenSerial = ""

    /// - Parameter extra: more piv-card options (`--apdu-delay-ms N`, `--fault KIND`).
    public init(port: UInt16, key: String, certificate: String, retries: Int = 3, extra: [String] = []) async throws {
        process.executableURL = Lab.repositoryRoot.appendingPathComponent("Tools/vcard/piv-card")
        process.arguments = ["--port", String(port), "--key", key, "--cert", certificate, "--retries", String(retries)] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(["PIV_CARD_PIN": "123456"]) { $1 }
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The card prints `inserted port=P at=<unix time> atr=<hex> serial=<hex>` once vpcd has it.
        var text = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty, ContinuousClock.now < deadline else { throw TestFailure("piv-card did not connect: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        for field in text.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "at", let seconds = Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) {
                connectedAt = Date(timeIntervalSince1970: seconds)
            }
            if parts[0] == "serial" { tokenSerial = parts[1].trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    /// Pulls the card out.
    public func remove() { terminate(process) }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// SIGTERM, up to 5 s for the exit, then SIGKILL: a stuck child must not hang the test run.
func terminate(_ process: Process) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}
