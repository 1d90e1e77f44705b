import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// A signature asked for by a web page (through kyso-browser-host) names its origin; kysod keeps it in the audit
/// record, and refuses an origin that is not one before the token is touched.
@Suite("signature origins")
struct SignatureOriginTests {
    static let digest = Data((0..<32).map { UInt8($0) })

    static func sign(_ client: KysoClient, _ tokenId: String, origin: String?) async throws -> KysoClient.Response {
        let request = SignRequest(digest: digest, mechanism: .rsaPKCS1SHA256, pin: "123456", origin: origin)
        return try await client.request(.POST, "/v1/tokens/\(tokenId)/sign", body: Array(try APIJSON.encoder().encode(request)))
    }

    @Test("the origin goes into the audit record's detail; a plain signature's record has none")
    func recorded() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        #expect(try await Self.sign(client, token.id, origin: "https://ecus.example.vn").status == 200)
        #expect(try await Self.sign(client, token.id, origin: nil).status == 200)
        let wrong = SignRequest(digest: Self.digest, mechanism: .rsaPKCS1SHA256, pin: "999999", origin: "http://localhost:8080")
        _ = try await client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(try APIJSON.encoder().encode(wrong)))
        let entries = try await client.get("/v1/audit?limit=3", as: AuditResponse.self).entries
        #expect(entries.map(\.detail) == ["pin-incorrect; origin http://localhost:8080", nil, "origin https://ecus.example.vn"])
        #expect(daemon.log().contains("origin=https://ecus.example.vn"))
        try await daemon.stop()
    }

    @Test("an origin that is not https (or http://localhost), or is too long, is a 400 and signs nothing",
          arguments: ["http://ecus.example.vn", "https://ecus.example.vn/path", "HTTPS://ECUS.EXAMPLE.VN", "https://a.vn:443",
                      "file:///etc/passwd", "javascript:alert(1)", "https://" + String(repeating: "a.", count: 130) + "vn", ""])
    func refused(origin: String) async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        let response = try await Self.sign(client, token.id, origin: origin)
        #expect(response.status == 400)
        let problem = try #require(response.decodeProblem())
        #expect(problem.code == "bad-request")
        #expect(problem.detail?.hasPrefix("origin: ") == true, "\(problem.detail ?? "")")
        let entries = try await client.get("/v1/audit?limit=5", as: AuditResponse.self).entries
        #expect(entries.allSatisfy { $0.outcome != "success" && !($0.detail ?? "").contains("origin") })
        try await daemon.stop()
    }
}
