import ArgumentParser
import Foundation
import KysoCore

/// `kyso cert FILE…`: what a declarant needs to register a certificate with VNACCS, read from files.
struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Show certificates the way Vietnamese declarants read them (serial, tax code, CA, status).",
        discussion: """
            Reads PEM (one or many blocks), DER or PKCS#7 (.p7b) files. With --trust, each certificate's chain is \
            built from the other certificates given (same files and --intermediates) and verified offline.
            Exit status: 0 on success, 1 when a file cannot be read, 2 when a chain check fails.
            """
    )

    @Argument(help: "Certificate files (PEM, DER or PKCS#7).")
    var files: [String]

    @Flag(help: "Print JSON for tools instead of text.")
    var json = false

    @Option(name: .customLong("expiring-days"), help: "Report 'expiringSoon' this many days before expiry.")
    var expiringDays = 30

    @Option(name: .customLong("trust"), help: "Trust anchor certificate file(s) for a chain check; repeatable.")
    var trust: [String] = []

    @Option(name: .customLong("intermediates"), help: "Intermediate CA certificate file(s); repeatable.")
    var intermediates: [String] = []

    @Flag(name: .customLong("vi"), help: "Vietnamese labels in text output.")
    var vietnamese = false

    func validate() throws {
        guard expiringDays >= 0 else { throw ValidationError("--expiring-days must be 0 or more.") }
        if !intermediates.isEmpty && trust.isEmpty {
            throw ValidationError("--intermediates needs --trust: a chain is only checked against trust anchors.")
        }
    }

    /// One certificate found in one file.
    struct Entry: Encodable {
        var file: String
        var index: Int
        var profile: CertificateProfile
        var chain: ChainCheck?
    }

    mutating func run() async throws {
        let now = Date()
        var unreadable = false
        var found: [(file: String, index: Int, der: [UInt8])] = []
        for file in files {
            do {
                for (index, der) in try Self.certificates(atPath: file).enumerated() {
                    found.append((file, index + 1, der))
                }
            } catch {
                printError("kyso cert: \(file): \(error)")
                unreadable = true
            }
        }
        let anchors = try trust.flatMap { try Self.requiredCertificates(atPath: $0, option: "--trust") }
        let pool = try intermediates.flatMap { try Self.requiredCertificates(atPath: $0, option: "--intermediates") }

        var entries: [Entry] = []
        for item in found {
            let profile: CertificateProfile
            do {
                profile = try CertificateProfile(derEncoded: item.der, now: now, expiringSoonDays: expiringDays)
            } catch {
                printError("kyso cert: \(item.file) #\(item.index): \(error)")
                unreadable = true
                continue
            }
            var chain: ChainCheck?
            if !anchors.isEmpty {
                let others = found.filter { $0.der != item.der }.map(\.der)
                chain = await ChainCheck.verify(leaf: item.der, intermediates: pool + others, trustAnchors: anchors, at: now)
            }
            entries.append(Entry(file: item.file, index: item.index, profile: profile, chain: chain))
        }

        if json {
            Output.line(try JSONOutput.string(entries))
        } else {
            Output.text(text(entries))
        }
        if unreadable { throw ExitCode(1) }
        if entries.contains(where: { $0.chain?.isVerified == false }) { throw ExitCode(2) }
    }

    private func text(_ entries: [Entry]) -> String {
        let labels: CertificateLabels = vietnamese ? .vietnamese : .english
        var lines: [String] = []
        for entry in entries {
            if !lines.isEmpty { lines.append("") }
            lines.append("\(entry.file) #\(entry.index)")
            lines += certificateLines(entry.profile, indent: "  ", labels: labels)
            if let chain = entry.chain {
                let title = vietnamese ? "Chuỗi chứng thư" : "Chain"
                switch chain.outcome {
                case .verified:
                    lines.append("  \(title): \(vietnamese ? "hợp lệ" : "verified")")
                    lines += chain.chain.map { "    \($0.subject)" }
                case .notVerified:
                    lines.append("  \(title): \(vietnamese ? "KHÔNG xác minh được" : "NOT verified")")
                    lines += chain.failures.map { "    \($0)" }
                }
            }
        }
        // Each line is escaped whole: a certificate name cannot add a line or a control sequence of its own.
        return lines.isEmpty ? "" : lines.map(TerminalText.field).joined(separator: "\n") + "\n"
    }

    /// Reads a file after checking its size, so a huge or endless file (a device, a FIFO) is refused, not slurped.
    static func certificates(atPath path: String) throws -> [[UInt8]] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw CertificateReadError(.empty, "cannot open the file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CertificateReadError(.noCertificate, "not a regular file")
        }
        if let size = attributes[.size] as? Int, size > CertificateFileContents.maximumSize {
            throw CertificateReadError(.tooLarge, "\(size) bytes is too large for a certificate file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateReadError(.empty, "cannot read the file")
        }
        return try CertificateFileContents.certificates(in: Array(data))
    }

    private static func requiredCertificates(atPath path: String, option: String) throws -> [[UInt8]] {
        do {
            return try certificates(atPath: path)
        } catch {
            throw ValidationError("\(option) \(path): \(error)")
        }
    }

    private func printError(_ message: String) {
        Output.error(message)
    }
}
