import ArgumentParser
import Foundation
import KysoCore
import KysoText

/// `kyso cert FILE…`: what a declarant needs to register a certificate with VNACCS, read from files.
struct CertCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "cert", abstract: tr("cert.abstract"), discussion: tr("cert.discussion"))
    }

    @Argument(help: ArgumentHelp(tr("cert.files.help")))
    var files: [String]

    @Flag(help: ArgumentHelp(tr("option.json.help")))
    var json = false

    @Option(name: .customLong("expiring-days"), help: ArgumentHelp(tr("cert.expiringDays.help")))
    var expiringDays = 30

    @Option(name: .customLong("trust"), help: ArgumentHelp(tr("cert.trust.help")))
    var trust: [String] = []

    @Option(name: .customLong("intermediates"), help: ArgumentHelp(tr("cert.intermediates.help")))
    var intermediates: [String] = []

    /// Kept from before `--lang`: the language is read from the command line before parsing (KysoLanguage), where
    /// `--vi` counts as `--lang vi`; declared here so the parser accepts it.
    @Flag(name: .customLong("vi"), help: ArgumentHelp(tr("cert.vi.help")))
    var vietnamese = false

    func validate() throws {
        guard expiringDays >= 0 else { throw ValidationError(tr("cert.error.expiringDays")) }
        if !intermediates.isEmpty && trust.isEmpty {
            throw ValidationError(tr("cert.error.intermediatesNeedTrust"))
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
                printError(tr("cert.error.file", ["file": file, "error": "\(error)"]))
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
                printError(tr("cert.error.entry", ["file": item.file, "index": String(item.index), "error": "\(error)"]))
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
        var lines: [String] = []
        for entry in entries {
            if !lines.isEmpty { lines.append("") }
            lines.append("\(entry.file) #\(entry.index)")
            lines += certificateLines(entry.profile, indent: "  ")
            if let chain = entry.chain {
                switch chain.outcome {
                case .verified:
                    lines.append("  " + tr("cert.chain.verified"))
                    lines += chain.chain.map { "    \($0.subject)" }
                case .notVerified:
                    lines.append("  " + tr("cert.chain.notVerified"))
                    let reasons = chain.failureMessages.isEmpty ? chain.failures : chain.failureMessages.map { tr($0) }
                    lines += reasons.map { "    \($0)" }
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
            throw CertificateReadError(.empty, tr("cert.read.cannotOpen"))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CertificateReadError(.noCertificate, tr("cert.read.notRegular"))
        }
        if let size = attributes[.size] as? Int, size > CertificateFileContents.maximumSize {
            throw CertificateReadError(.tooLarge, tr("cert.read.tooLarge", ["size": String(size)]))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateReadError(.empty, tr("cert.read.cannotRead"))
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
