import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Signature audit records are written behind the answer (SignatureAuditWriter): they must still all be there
/// when the log is read right after the signatures, and on disk once kysod has stopped.
@Suite("signature audit records")
struct SignatureAuditTests {
    static func start() async throws -> (DaemonProcess, KysoClient, TokenInfoResponse) {
        let (directory, _) = try await Lab.copy()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"],
            configuration: #"{"loginCacheSeconds": 600}"#,
            environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        let client = KysoClient(socketPath: daemon.socketPath)
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        return (daemon, client, token)
    }

    /// Signs `count` distinct digests; returns their lowercase hex, in order.
    static func sign(_ count: Int, on token: TokenInfoResponse, client: KysoClient, tag: Int) async throws -> [String] {
        var digests: [String] = []
        for index in 0..<count {
            // Any 32 bytes pass for a SHA-256 digest; distinct per signature so the records can be told apart.
            let digest = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index &* 13 &+ tag) }
            let request = SignRequest(digest: Data(digest), mechanism: .rsaPKCS1SHA256, output: .raw, pin: "123456")
            let response = try await client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(try APIJSON.encoder().encode(request)))
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            digests.append(Hex.lowercase(digest))
        }
        return digests
    }

    @Test("every signature answered is in GET /v1/audit at once, in order, with its digest and outcome")
    func readRightAfterSigning() async throws {
        let (daemon, client, token) = try await Self.start()
        let digests = try await Self.sign(40, on: token, client: client, tag: 1)
        let entries = try await client.get("/v1/audit?limit=40", as: AuditResponse.self).entries
        #expect(entries.map(\.dataSha256) == digests.reversed().map(Optional.some))
        #expect(entries.allSatisfy { $0.action == "sign" && $0.outcome == "success" && $0.tokenId == token.id })
        #expect(try await daemon.stop() == 0)
    }

    @Test("signatures answered just before SIGTERM have their records on disk after kysod exits")
    func flushedAtStop() async throws {
        let (daemon, client, token) = try await Self.start()
        let digests = try await Self.sign(25, on: token, client: client, tag: 2)
        #expect(try await daemon.stop() == 0)
        let database = daemon.directory.appendingPathComponent("state/kyso.sqlite").path
        let stored = String(decoding: try Shell.run("python3", ["-c", """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            for (digest,) in db.execute("SELECT dataSha256 FROM audit WHERE action = 'sign' AND outcome = 'success' ORDER BY id"):
                print(digest)
            """, database]), as: UTF8.self)
        #expect(stored.split(separator: "\n").map(String.init) == digests)
    }
}
