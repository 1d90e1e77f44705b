import Foundation
@testable import KysoDaemon
import KysoAPI
import KysoCore
import KysoStore
import Logging
import NIOHTTP1
import Testing

/// The router in process, as Hummingbird tests its router: the endpoint table, capabilities, problem answers and
/// a signature through the whole HTTP edge, on a fake key backend and an in-memory database.
@Suite("the router in process")
struct RouterTests {
    let certificate: FakeCertificate
    let tokenId: String
    let router: Router

    static let root = PeerCredentials(pid: 1, uid: 0, gid: 0, groups: [0], executable: "/usr/bin/kyso")
    /// A uid nobody granted anything.
    static let stranger = PeerCredentials(pid: 2, uid: 54_321, gid: 54_321, groups: [54_321], executable: "/usr/bin/curl")

    init() async throws {
        certificate = try FakeCertificate()
        let (inventory, tokenId) = fakeInventory(with: certificate)
        self.tokenId = tokenId
        let logger = Logger(label: "test")
        let backend = FakeKeyBackend(tokenIds: [tokenId], keys: [certificate.sha256: certificate.key])
        let signer = Signer(inventory: inventory, backends: [backend], logger: logger)
        let database = try KysoDatabase(inMemoryWithAuditRetention: .standard)
        let refusals = RefusalLimiter(perMinute: 100)
        let audit = SignatureAuditWriter(database: database, refusals: refusals, logger: logger)
        let accounts = try await AccountService(database: database, sealer: HostSealer(key: .init(size: .bits256)), inventory: inventory,
                                                signer: signer, refusals: refusals, signatureAudit: audit, logger: logger)
        router = Router(inventory: inventory, signer: signer, accounts: accounts, signatureAudit: audit,
                        access: AccessPolicy(nil), metrics: DaemonMetrics(), version: "test")
    }

    func ask(_ method: HTTPMethod, _ path: String, body: String = "", as peer: PeerCredentials = root) async -> (status: Int, body: [UInt8], headers: [(String, String)]) {
        let request = APIRequest(method: method, path: path, headers: HTTPHeaders(), body: Array(body.utf8), peer: peer)
        guard case .body(let status, _, let bytes, let headers) = await router.respond(to: request) else { return (0, [], []) }
        return (Int(status.code), bytes, headers)
    }

    func problem(_ answer: (status: Int, body: [UInt8], headers: [(String, String)])) throws -> ProblemDetails {
        try APIJSON.decoder().decode(ProblemDetails.self, from: Data(answer.body))
    }

    @Test("every endpoint's template matches itself and only its own variables; other paths are unmatched")
    func table() {
        for endpoint in Endpoint.allCases {
            let path = endpoint.template.replacing(/\{[^}]*\}/, with: "x")
            let (matched, parameters) = Endpoint.matching(path + "?a=b")
            #expect(matched.contains(endpoint), "\(endpoint)")
            #expect(parameters.count == endpoint.template.count { $0 == "{" }, "\(endpoint)")
            #expect(Endpoint.label(of: path) == endpoint.template)
        }
        for path in ["/", "/v1", "/v2/status", "/v1/tokens/x/y", "/v1/bindings/a/secret/b", "/metrics/x"] {
            #expect(Endpoint.label(of: path) == Endpoint.unmatched, "\(path)")
        }
    }

    @Test("unknown paths get 404, wrong methods 405 with Allow, missing capabilities 403, as problem details")
    func refusals() async throws {
        let missing = await ask(.GET, "/v1/nothing")
        #expect(try missing.status == 404 && problem(missing).problemCode == .notFound)
        let wrongMethod = await ask(.PATCH, "/v1/bindings/KYSO0001")
        #expect(wrongMethod.status == 405 && wrongMethod.headers.contains { $0 == ("allow", "GET, PUT, DELETE") })
        let forbidden = await ask(.GET, "/v1/tokens", as: Self.stranger)
        #expect(try forbidden.status == 403 && problem(forbidden).problemCode == .forbidden)
        let unsignable = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: "{}", as: Self.stranger)
        #expect(unsignable.status == 403)
    }

    @Test("a signature through the HTTP edge: wire request in, checked signature and its audit record out")
    func sign() async throws {
        let body = #"{"data": "dOG7nSBraGFp", "mechanism": "ecdsa-sha256", "pin": "123456"}"#
        let answer = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: body)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        let signed = try APIJSON.decoder().decode(SignResponse.self, from: Data(answer.body))
        #expect(signed.certificate == certificate.sha256 && signed.mechanism == .ecdsaSHA256 && signed.output == .raw)
        let audit = await ask(.GET, "/v1/audit")
        let entries = try APIJSON.decoder().decode(AuditResponse.self, from: Data(audit.body)).entries
        #expect(entries.first?.action == "sign" && entries.first?.outcome == "success")
    }

    @Test("unknown wire values are named: an unknown mechanism, an unknown output, a body that is not a sign request")
    func wireValues() async throws {
        let mechanism = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: #"{"data": "AA==", "mechanism": "rsa-md5"}"#)
        #expect(try mechanism.status == 400 && problem(mechanism).problemCode == .unknownMechanism)
        #expect(try problem(mechanism).detail?.contains("rsa-md5") == true)
        let output = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: #"{"data": "AA==", "output": "pdf"}"#)
        #expect(try output.status == 400 && problem(output).detail == "output must be raw or cms")
        let both = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: #"{"data": "AA==", "digest": "AA=="}"#)
        #expect(try both.status == 400 && problem(both).detail == "send exactly one of data and digest (base64)")
        // Each is a refused signature in the audit, as before the edge read orders (wire-diff found them missing);
        // a body that is not a sign request at all is not.
        _ = await ask(.POST, "/v1/tokens/\(tokenId)/sign", body: "not json")
        let audit = await ask(.GET, "/v1/audit")
        let entries = try APIJSON.decoder().decode(AuditResponse.self, from: Data(audit.body)).entries
        #expect(entries.map(\.outcome) == ["refused", "refused", "refused"], "\(entries)")
        #expect(entries.map(\.detail) == ["bad-request", "bad-request", "unknown-mechanism"])
        #expect(entries.last?.mechanism == "rsa-md5" && entries.last?.tokenId == tokenId && entries.last?.dataSha256 != nil)
    }
}
