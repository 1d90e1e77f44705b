import Foundation
import KysoTestSupport
import PCSC
#if canImport(Glibc)
import Glibc
#endif

/// A pcscd of the benchmark's own (Tools/vcard/private-pcscd) with vpcd readers for virtual cards; this process
/// and everything it starts reach it through PCSCLITE_CSOCK_NAME.
final class PrivatePCSC: @unchecked Sendable {
    let socketPath: String
    /// vpcd TCP ports, one per reader (`Kyso vpcd P 00 00` is port P, `… 00 01` is P+1).
    let readerPorts: [UInt16]
    private let child: Child

    init(in directory: URL, entries: Int) throws {
        guard FileManager.default.fileExists(atPath: "/usr/sbin/pcscd"),
              FileManager.default.fileExists(atPath: "/usr/lib/pcsc/drivers/serial/libifdvpcd.so") else {
            throw TestFailure("pcscd or vpcd not installed")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("pcscd.comm").path
        let entryPorts = try VPCDPorts.free(entries: entries)
        readerPorts = entryPorts.flatMap { [$0, $0 + 1] }
        var arguments = ["--socket", socketPath, "--config-dir", directory.appendingPathComponent("readers").path]
        for port in entryPorts { arguments += ["--vpcd", String(port)] }
        child = try Child(repositoryRoot.appendingPathComponent("Tools/vcard/private-pcscd").path, arguments,
                          environment: BenchEnvironment.base, output: directory.appendingPathComponent("pcscd.log").path)
        setenv("PCSCLITE_CSOCK_NAME", socketPath, 1)
        let deadline = Clock.nanoseconds() + 15_000_000_000
        while true {
            if let context = try? PCSCContext(), let readers = try? context.readers(), readers.count == readerPorts.count {
                try? context.release()
                break
            }
            guard child.isRunning, Clock.nanoseconds() < deadline else { throw TestFailure("private pcscd did not list its readers") }
            usleep(50_000)
        }
    }

    static func readerName(port: UInt16) -> String { "Kyso vpcd \(port & ~1) 00 0\(port & 1)" }

    func stop() { child.stop() }
    deinit { child.stop(signal: SIGKILL) }
}

/// A virtual PIV card (Tools/vcard/piv-card) in one vpcd reader: inserted when made, pulled by `remove()`.
final class VirtualCard: @unchecked Sendable {
    /// Wall-clock time (seconds since 1970) the card's connection to vpcd was made, as the card program reports it.
    let connectedAt: Double
    private let child: Child

    init(port: UInt16, key: String, certificate: String, apduDelayMilliseconds: Int, log: String) throws {
        var environment = BenchEnvironment.base
        environment["PIV_CARD_PIN"] = "123456"
        try? FileManager.default.removeItem(atPath: log)
        child = try Child(repositoryRoot.appendingPathComponent("Tools/vcard/piv-card").path,
                          ["--port", String(port), "--key", key, "--cert", certificate, "--apdu-delay-ms", String(apduDelayMilliseconds)],
                          environment: environment, output: log)
        let deadline = Clock.nanoseconds() + 20_000_000_000
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("inserted ") }),
               let at = line.split(separator: " ").first(where: { $0.hasPrefix("at=") }).flatMap({ Double($0.dropFirst(3)) }) {
                connectedAt = at
                break
            }
            guard child.isRunning, Clock.nanoseconds() < deadline else { throw TestFailure("piv-card on port \(port) did not connect: \(text)") }
            usleep(5_000)
        }
    }

    func remove() { child.stop() }
    deinit { child.stop(signal: SIGKILL) }
}
