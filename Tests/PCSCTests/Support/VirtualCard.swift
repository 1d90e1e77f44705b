import Foundation
import KysoTestSupport

/// A key and certificate for a virtual card, made in the test's folder by Tools/vcard/test-identity
/// (RSA-2048, keyUsage digitalSignature + nonRepudiation): self-signed, or issued by the lab's TEST
/// provider CA with a Vietnamese enterprise subject and a random valid tax code.
struct CardIdentity: Sendable {
    let keyPath: String
    let certificatePath: String
    /// The subject as RFC 4514 text, as the tool reports it.
    let subject: String
    /// The tax code in the subject (`UID=MST:…`), for lab certificates.
    let taxCode: String?

    static func make(in directory: TemporaryDirectory, name: String, commonName: String? = nil,
                     provider: String? = nil) async throws -> CardIdentity {
        let keyPath = directory.file("\(name).key.pem")
        let certificatePath = directory.file("\(name).cert.der")
        var arguments = ["--key", keyPath, "--cert", certificatePath]
        if let commonName { arguments += ["--cn", commonName] }
        if let provider { arguments += ["--provider", provider, "--pki-dir", directory.file("pki")] }
        let maker = try ChildProcess(Lab.toolPath("Tools/vcard/test-identity"), arguments)
        try await maker.waitForExit(timeout: .seconds(60))
        struct Report: Decodable { let subject: String; let taxCode: String? }
        guard FileManager.default.fileExists(atPath: certificatePath),
              let line = maker.text.split(separator: "\n").last,
              let report = try? JSONDecoder().decode(Report.self, from: Data(line.utf8)) else {
            throw TestFailure("test-identity failed: \(maker.text)")
        }
        return CardIdentity(keyPath: keyPath, certificatePath: certificatePath, subject: report.subject, taxCode: report.taxCode)
    }

    var certificateDER: [UInt8] {
        get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: certificatePath))) }
    }
}

/// A virtual PIV card (Tools/vcard/piv-card) in a vpcd reader: inserted when made, removed by ``remove()``.
final class VirtualCard: Sendable {
    static let pin = "123456"
    let port: UInt16
    let identity: CardIdentity
    /// Wall-clock time (seconds since 1970) at which the card's TCP connection to vpcd was made.
    let connectedAt: Double
    /// The ATR the card answers with, as the card program reports it.
    let atr: [UInt8]
    /// The token serial OpenSC derives from the card's CHUID (lower-case hex).
    let tokenSerial: String
    private let process: ChildProcess

    /// The reader name for a vpcd `port` (slot 00 for the entry's first port, 01 for the second).
    var readerName: String {
        let base = port & ~1
        return "Kyso vpcd \(base) 00 0\(port & 1)"
    }

    /// Inserts a card into the vpcd reader listening on `port`; returns once it is connected.
    init(port: UInt16, identity: CardIdentity, retries: Int = 3, apduDelayMilliseconds: Int = 0) async throws {
        self.port = port
        self.identity = identity
        process = try ChildProcess(Lab.toolPath("Tools/vcard/piv-card"),
                                   ["--port", String(port), "--key", identity.keyPath, "--cert", identity.certificatePath,
                                    "--retries", String(retries), "--apdu-delay-ms", String(apduDelayMilliseconds)],
                                   environment: ["PIV_CARD_PIN": Self.pin], name: "piv-card:\(port)")
        let line = try await process.waitForLine(startingWith: "inserted ")
        var fields: [String: String] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let seconds = fields["at"].flatMap(Double.init), let atrHex = fields["atr"], let serial = fields["serial"],
              let atr = bytes(hex: atrHex) else { throw TestFailure("unexpected card output: \(line)") }
        connectedAt = seconds
        self.atr = atr
        tokenSerial = serial
    }

    /// Pulls the card out (the program exits and closes its connection).
    func remove() async throws { try await process.stop() }

    var isInserted: Bool { process.isRunning }
}

/// Parses lower- or upper-case hex without separators.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    var index = 0
    while index < digits.count {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        result.append(byte)
        index += 2
    }
    return result
}
