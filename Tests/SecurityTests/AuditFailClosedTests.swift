import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Item 8 of the hardening review: with the state directory full, signatures and a secret reveal succeeded while
/// the log said only "audit records lost". The state directory here is a 4 MB tmpfs filled up after the binding.
@Suite("audit fails closed", .enabled(if: SmallFilesystem.isPossible, "needs root and mount -t tmpfs"))
struct AuditFailClosedTests {
    @Test("state directory full: the reveal is refused, signatures stop once a record fails and that record is in the journal; room again, both work",
          .timeLimit(.minutes(2)))
    func fullStateDirectory() async throws {
        let filesystem = try SmallFilesystem(megabytes: 4)
        defer { filesystem.unmount() }
        let state = filesystem.mountPoint.appendingPathComponent("state").path
        let (daemon, manifest, client) = try await SecurityLab.daemon(stateDirectory: state)
        let bound = try await SecurityLab.bindDeclarant("FULL0001", client: client, manifest: manifest)
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        let pin = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" }?.pin)
        let token = try await SecurityLab.token("kyso-vnpt", client: client)
        func sign(_ text: String) async throws -> KysoClient.Response {
            try await client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(try APIJSON.encoder().encode(
                SignRequest(certificate: token.certificate, data: Data(text.utf8), pin: pin))))
        }

        let filler = try filesystem.fill()
        // A secret is revealed only once its record is in the log: on a full disk, no record and no secret.
        let reveal = try await client.request(.GET, "/v1/bindings/FULL0001/secrets/password")
        let revealText = String(decoding: reveal.body, as: UTF8.self)
        print("audit fails closed: reveal on a full disk → \(reveal.status) \(revealText)")
        #expect(reveal.status == 503 && revealText.contains("audit-unavailable"), "\(reveal.status) \(revealText)")
        #expect(!revealText.contains("pw123456"), "the secret was revealed without an audit record")

        // Signatures: records are written behind the answer, so the first ones may go out; once a record fails,
        // it goes to the journal in full, and no signature goes out before its record is written.
        var statuses: [Int] = []
        var answered: [String] = []
        for index in 0..<8 {
            let text = "full-\(index)"
            let answer = try await sign(text)
            statuses.append(answer.status)
            if answer.status == 200 { answered.append(text) }
            try await Task.sleep(for: .milliseconds(100))
        }
        print("audit fails closed: signatures on a full disk → \(statuses)")
        let firstRefusal = try #require(statuses.firstIndex(of: 503), "every signature went out on a full disk: \(statuses)")
        #expect(statuses[firstRefusal...].allSatisfy { $0 == 503 }, "a signature went out after a record failed: \(statuses)")
        #expect(statuses[..<firstRefusal].allSatisfy { $0 == 200 }, "\(statuses)")
        let log = daemon.log()
        for text in answered {
            let digest = SHA256Hex.of(text)
            #expect(log.contains(digest), "signature of \(text) answered on a full disk, but its record is neither stored nor in the journal")
        }
        #expect(log.contains("audit record not written to the database"))

        // Room again: both work, without a restart, and the log has them.
        try FileManager.default.removeItem(at: filler)
        #expect(try await sign("room-again").status == 200)
        let revealed = try await client.request(.GET, "/v1/bindings/FULL0001/secrets/password")
        #expect(revealed.status == 200 && String(decoding: revealed.body, as: UTF8.self).contains("pw123456"))
        let audit = try await client.request(.GET, "/v1/audit?limit=50").decode(AuditResponse.self).entries
        #expect(audit.contains { $0.action == "secret.reveal" && $0.outcome == "success" })
        #expect(audit.contains { $0.action == "sign" && $0.dataSha256 == SHA256Hex.of("room-again") })
        #expect(try await daemon.stop() == 0)
    }
}

/// Lowercase hex SHA-256, as the audit records what was signed (sha256sum, so the test needs no crypto library).
enum SHA256Hex {
    static func of(_ text: String) -> String {
        let output = (try? Shell.run("sha256sum", [], input: Data(text.utf8))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return String(output.prefix(64))
    }
}
