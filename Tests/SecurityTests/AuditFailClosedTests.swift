import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Item 8 of the hardening review: with the state directory full, signatures and a secret reveal succeeded while
/// the log said only "audit records lost". The state directory here is a 4 MB tmpfs filled up after the binding.
@Suite("audit fails closed", .enabled(if: SmallFilesystem.isPossible, "needs root and mount -t tmpfs"))
struct AuditFailClosedTests {
    /// A kysod whose state directory is on a small tmpfs, with declarant FULL0001 bound (host-sealed secrets).
    struct FullDisk {
        let filesystem: SmallFilesystem
        let daemon: DaemonProcess
        let client: KysoClient
        let pin: String
        let token: (id: String, certificate: String)

        static func make() async throws -> FullDisk {
            let filesystem = try SmallFilesystem(megabytes: 4)
            let state = filesystem.mountPoint.appendingPathComponent("state").path
            let (daemon, manifest, client) = try await SecurityLab.daemon(stateDirectory: state)
            let bound = try await SecurityLab.bindDeclarant("FULL0001", client: client, manifest: manifest)
            guard bound.status == 201 else { throw TestFailure("bind: \(bound.status) \(String(decoding: bound.body, as: UTF8.self))") }
            guard let pin = manifest.tokens.first(where: { $0.label == "kyso-vnpt" })?.pin else { throw TestFailure("no kyso-vnpt") }
            return FullDisk(filesystem: filesystem, daemon: daemon, client: client, pin: pin,
                            token: try await SecurityLab.token("kyso-vnpt", client: client))
        }

        func sign(_ text: String) async throws -> Int {
            try await client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(try APIJSON.encoder().encode(
                SignRequest(certificate: token.certificate, data: Data(text.utf8), pin: SecretBytes(pin))))).status
        }

        /// Eight signatures a tenth of a second apart (a batch written behind an answer fails in between).
        func signatures() async throws -> [Int] {
            var statuses: [Int] = []
            for index in 0..<8 {
                statuses.append(try await sign("full-\(index)"))
                try await Task.sleep(for: .milliseconds(100))
            }
            return statuses
        }

        func reveal() async throws -> (status: Int, text: String) {
            let answer = try await client.request(.GET, "/v1/bindings/FULL0001/secrets/password")
            return (answer.status, String(decoding: answer.body, as: UTF8.self))
        }

        /// Room again: both work, without a restart, and the audit log has them.
        func checkRecovery(filler: URL) async throws {
            try FileManager.default.removeItem(at: filler)
            #expect(try await sign("room-again") == 200)
            let revealed = try await reveal()
            #expect(revealed.status == 200 && revealed.text.contains("pw123456"))
            let audit = try await client.request(.GET, "/v1/audit?limit=50").decode(AuditResponse.self).entries
            #expect(audit.contains { $0.action == "secret.reveal" && $0.outcome == "success" })
            #expect(audit.contains { $0.action == "sign" && $0.dataSha256 == SHA256Hex.of("room-again") })
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test("state directory full: the reveal is refused without the secret, then every signature too; room again, both work",
          .timeLimit(.minutes(2)))
    func revealRefused() async throws {
        let disk = try await FullDisk.make()
        defer { disk.filesystem.unmount() }
        let filler = try disk.filesystem.fill()
        // A secret is revealed only once its record is in the log: on a full disk, no record and no secret.
        let reveal = try await disk.reveal()
        print("audit fails closed: reveal on a full disk → \(reveal.status) \(reveal.text)")
        #expect(reveal.status == 503 && reveal.text.contains("audit-unavailable"), "\(reveal)")
        #expect(!reveal.text.contains("pw123456"), "the secret was revealed without an audit record")
        // The failed write makes every signature wait for its record, and one whose record fails does not go out.
        let statuses = try await disk.signatures()
        print("audit fails closed: signatures after the refused reveal → \(statuses)")
        #expect(statuses.allSatisfy { $0 == 503 }, "a signature went out after an audit record failed: \(statuses)")
        let log = disk.daemon.log()
        #expect(log.contains("audit record not written to the database"))
        #expect(log.contains(SHA256Hex.of("full-0")), "the refused signature's record is not in the journal")
        try await disk.checkRecovery(filler: filler)
    }

    @Test("state directory full: signatures answered before their batch failed are in the journal, the rest refused; room again, both work",
          .timeLimit(.minutes(2)))
    func signaturesFirst() async throws {
        let disk = try await FullDisk.make()
        defer { disk.filesystem.unmount() }
        let filler = try disk.filesystem.fill()
        let statuses = try await disk.signatures()
        print("audit fails closed: signatures on a full disk → \(statuses)")
        let firstRefusal = try #require(statuses.firstIndex(of: 503), "every signature went out on a full disk: \(statuses)")
        #expect(statuses[firstRefusal...].allSatisfy { $0 == 503 }, "a signature went out after a record failed: \(statuses)")
        // Records are written behind the answer: those answered first are in the journal in full, never nowhere.
        let log = disk.daemon.log()
        for index in 0..<firstRefusal {
            #expect(log.contains(SHA256Hex.of("full-\(index)")), "signature full-\(index) went out, but its record is neither stored nor in the journal")
        }
        try await disk.checkRecovery(filler: filler)
    }
}

/// Lowercase hex SHA-256, as the audit records what was signed (sha256sum, so the test needs no crypto library).
enum SHA256Hex {
    static func of(_ text: String) -> String {
        let output = (try? Shell.run("sha256sum", [], input: Data(text.utf8))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return String(output.prefix(64))
    }
}
