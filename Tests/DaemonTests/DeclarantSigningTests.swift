import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Issue 13, bugs 1, 4 and 6: `kyso sign` as a declarant uses it, the real binary against kysod on a SoftHSM lab
/// copy, every signature checked by openssl.
@Suite("kyso sign for declarations (issue 13)")
struct DeclarantSigningTests {
    struct Fixture {
        let daemon: DaemonProcess
        let client: KysoClient
        let labDirectory: URL
        let folder: URL

        func kyso(_ arguments: [String], input: String? = nil) throws -> KysoRun {
            try KysoRun.run(arguments + ["--socket", daemon.socketPath], input: input)
        }

        func tokenId(_ label: String) async throws -> String {
            try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == label }).id
        }

        /// A file of `size` bytes that are not all alike.
        func file(_ name: String, size: Int) throws -> String {
            var bytes = [UInt8](repeating: 0, count: size)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 7) }
            let url = folder.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }

        func signatures() async throws -> [AuditResponse.Entry] {
            try await client.get("/v1/audit", as: AuditResponse.self).entries.filter { $0.action == "sign" }
        }

        func cmsVerify(_ signature: String, content: String) throws {
            let pki = labDirectory.appendingPathComponent("pki")
            let intermediates = try FileManager.default.contentsOfDirectory(atPath: pki.path)
                .filter { $0.hasSuffix("-ca.pem") }.map { pki.appendingPathComponent($0).path }
            try OpenSSLCheck.cmsVerify(cms: Array(try Data(contentsOf: URL(fileURLWithPath: signature))),
                                       content: Array(try Data(contentsOf: URL(fileURLWithPath: content))),
                                       root: pki.appendingPathComponent("root.pem").path, intermediates: intermediates)
        }
    }

    static func start() async throws -> Fixture {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-declarant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return Fixture(daemon: daemon, client: client, labDirectory: URL(fileURLWithPath: manifest.softhsm2Conf).deletingLastPathComponent(),
                       folder: folder)
    }

    @Test("bug 1: 60 KB and 3 MB files signed as detached CMS (RSA, and EC with no --mechanism) verify with openssl",
          arguments: ["kyso-viettel", "kyso-ec-p256"])
    func largeFilesCMS(label: String) async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try await fixture.tokenId(label)
        for (name, size) in [("attachment-60k.bin", 60 * 1024), ("attachment-3m.bin", 3 * 1024 * 1024)] {
            let file = try fixture.file(name, size: size)
            let out = file + ".p7s"
            let run = try fixture.kyso(["sign", token, file, "--cms", "--out", out, "--pin-stdin"], input: "123456\n")
            #expect(run.status == 0, "\(name): \(run)")
            try fixture.cmsVerify(out, content: file)
        }
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("bug 1: a 3 MB file signed raw verifies with openssl pkeyutl over its digest")
    func largeFileRaw() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try await fixture.tokenId("kyso-viettel")
        let file = try fixture.file("attachment.bin", size: 3 * 1024 * 1024)
        let run = try fixture.kyso(["sign", token, file, "--out", file + ".sig", "--pin-stdin"], input: "123456\n")
        #expect(run.status == 0, "\(run)")
        let certificate = try await fixture.client.get("/v1/tokens/\(token)", as: TokenInfoResponse.self).certificates[0]
        try OpenSSLCheck.pkeyutlVerify(signature: Array(try Data(contentsOf: URL(fileURLWithPath: file + ".sig"))),
                                       digest: OpenSSLCheck.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: file)))),
                                       certificate: Array(certificate.der), pss: false)
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("bug 4: an --out that cannot be written fails before the PIN is used, in words, and nothing is signed")
    func unwritableOut() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try await fixture.tokenId("kyso-viettel")
        let file = try fixture.file("declaration.xml", size: 2048)
        let folderAsOut = fixture.folder.appendingPathComponent("a-folder")
        try FileManager.default.createDirectory(at: folderAsOut, withIntermediateDirectories: true)
        // Tests run as root, which file modes do not stop: a missing folder, a folder, and /proc stand for "unwritable".
        for out in [fixture.folder.path + "/missing/sig.p7s", folderAsOut.path, "/proc/version"] {
            let run = try fixture.kyso(["sign", token, file, "--cms", "--out", out, "--pin-stdin"], input: "123456\n")
            #expect(run.status != 0, "\(out): \(run)")
            #expect(run.stderr.contains("cannot write --out \(out)"), "\(out): \(run.stderr)")
            #expect(!run.stderr.contains("NSCocoaErrorDomain") && !run.stderr.contains("Code="), "\(out): \(run.stderr)")
        }
        #expect(try await fixture.signatures().isEmpty, "the token signed although the signature could not be written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folderAsOut.path).isEmpty)
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("bug 6: no --out (or --out -) on a terminal is refused before the PIN prompt; into a pipe the signature is written")
    func terminalOutput() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try await fixture.tokenId("kyso-viettel")
        let file = try fixture.file("declaration.xml", size: 2048)
        for extra in [[], ["--out", "-"]] {
            let terminal = try PseudoTerminal()
            let process = Process()
            process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
            process.arguments = ["sign", token, file, "--pin-stdin", "--socket", fixture.daemon.socketPath] + extra
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = terminal.follower
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            input.fileHandleForWriting.write(Data("123456\n".utf8))
            try input.fileHandleForWriting.close()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(extra): \(stderr)")
            #expect(stderr.contains("the signature is binary"), "\(extra): \(stderr)")
            #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/-"))
        }
        #expect(try await fixture.signatures().isEmpty, "a signature was made for the terminal")
        let piped = try fixture.kyso(["sign", token, file, "--out", "-", "--pin-stdin"], input: "123456\n")
        #expect(piped.status == 0 && !piped.stdout.isEmpty, "\(piped)")
        #expect(try await fixture.daemon.stop() == 0)
    }
}
