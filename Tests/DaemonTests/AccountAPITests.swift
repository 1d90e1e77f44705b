import Foundation
import NIOHTTP1
import KysoAPI
import KysoTestSupport
import Testing

/// Registration, binding and the account store through kysod on the SoftHSM lab.
@Suite("customs accounts through kysod")
struct AccountAPITests {
    static func post<T: Encodable>(_ client: KysoClient, _ path: String, _ body: T, method: HTTPMethodName = .POST) async throws -> KysoClient.Response {
        try await client.request(method.nio, path, body: Array(try APIJSON.encoder().encode(body)))
    }

    static func register(_ client: KysoClient, token: TokenInfoResponse, userId: String, terminalId: String) async throws -> RegistrationResponse {
        let certificate = try #require(token.certificates.first)
        let taxCode = try #require(certificate.profile.taxCode?.value)
        let response = try await post(client, "/v1/registrations", RegistrationRequest(
            role: .declarant, taxCode: taxCode, userId: userId, terminalId: terminalId, challenge: Data("portal-challenge-42".utf8),
            certificate: certificate.sha256, pin: "123456"))
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return try response.decode(RegistrationResponse.self)
    }

    @Test("register on the token, verify the CMS with openssl, bind, see it on the token, survive kill -9 and restart")
    func registerBindPersist() async throws {
        let (directory, _) = try await Lab.copy()
        let environment = ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path]
        let arguments = ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"]
        let daemon = try await DaemonProcess(arguments: arguments, environment: environment)
        let client = KysoClient(socketPath: daemon.socketPath)
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        let registration = try await Self.register(client, token: token, userId: "VNPT1001", terminalId: "TERM01")
        #expect(registration.statementText.contains(#""userId":"VNPT1001""#))
        #expect(registration.statementText.contains(#""challenge":"#))
        // The proof verifies with openssl up to the lab's TEST root.
        let pki = directory.appendingPathComponent("pki")
        try OpenSSLCheck.cmsVerify(cms: Array(registration.signature), content: Array("kyso-registration-v1\0".utf8) + Array(registration.statement),
                                   root: pki.appendingPathComponent("root.pem").path,
                                   intermediates: ["vnpt", "viettel", "fpt", "bkav"].map { pki.appendingPathComponent("\($0)-ca.pem").path })
        var events = client.events().makeAsyncIterator()
        _ = try await events.next()
        let bound = try await Self.post(client, "/v1/bindings", BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: "k3y0f16charsAbcd", password: "pw123456"))
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        let info = try APIJSON.decoder().decode(BindingInfo.self, from: Data(bound.body))
        #expect(info.account == "VNPT1001" && info.secrets.sorted() == ["password", "terminalAccessKey"])
        let created = try #require(try await events.next())
        #expect(created.event == "binding.created")
        #expect(!created.data.contains("K3Y0F16CHARSABCD") && !created.data.contains("pw123456"))
        // The token now names its account.
        let shown = try await client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self)
        #expect(shown.certificates.first?.accounts?.map(\.account) == ["VNPT1001"])
        let listing = try await client.request(.GET, "/v1/bindings")
        #expect(!String(decoding: listing.body, as: UTF8.self).contains("K3Y0F16CHARSABCD"))
        // kill -9, then a new daemon on the same state: the binding and its secret are there.
        #expect(try await daemon.stop(signal: SIGKILL) != 0)
        let stateArguments = arguments + ["--state-dir", daemon.directory.appendingPathComponent("state").path]
        let again = try await DaemonProcess(arguments: stateArguments, environment: environment)
        let second = KysoClient(socketPath: again.socketPath)
        let bindings = try await second.get("/v1/bindings", as: BindingListResponse.self).bindings
        #expect(bindings.map(\.account) == ["VNPT1001"])
        #expect(bindings.first?.certificatePresent == true)
        let secret = try await second.get("/v1/bindings/VNPT1001/secrets/terminalAccessKey", as: SecretResponse.self)
        #expect(secret.value == "K3Y0F16CHARSABCD")
        let audit = try await second.get("/v1/audit?limit=10", as: AuditResponse.self).entries.map(\.action)
        #expect(audit.contains("secret.reveal") && audit.contains("bind") && audit.contains("register"))
        #expect(try await second.request(.DELETE, "/v1/bindings/VNPT1001").status == 204)
        #expect(try await second.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)
        let logs = daemon.log() + again.log()
        for secret in ["123456", "K3Y0F16CHARSABCD", "k3y0f16charsAbcd", "pw123456"] {
            #expect(!logs.contains(secret), "\(secret) reached the log")
        }
        try await again.stop()
    }

    @Test("bad input gets a clear error and stores nothing")
    func badInput() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let vnpt = try #require(tokens.first { $0.label == "kyso-vnpt" })
        let fpt = try #require(tokens.first { $0.label == "kyso-fpt" })
        let certificate = try #require(vnpt.certificates.first)
        let taxCode = try #require(certificate.profile.taxCode?.value)
        let wrongCheckDigit = String(taxCode.dropLast()) + String((Int(String(taxCode.last!))! + 1) % 10)
        let cases: [(RegistrationRequest, Int, String)] = [
            (.init(role: .declarant, taxCode: wrongCheckDigit, userId: "VNPT1001", terminalId: "TERM01", certificate: certificate.sha256, pin: "123456"), 422, "invalid-field"),
            (.init(role: .declarant, taxCode: taxCode, userId: "VNPT10", terminalId: "TERM01", certificate: certificate.sha256, pin: "123456"), 422, "invalid-field"),
            (.init(role: .declarant, taxCode: taxCode, userId: "VNPT1001", terminalId: "TERM-1", certificate: certificate.sha256, pin: "123456"), 422, "invalid-field"),
            (.init(role: .declarant, taxCode: try #require(fpt.certificates.first?.profile.taxCode?.value), userId: "VNPT1001", terminalId: "TERM01", certificate: certificate.sha256, pin: "123456"), 422, "tax-code-mismatch"),
            (.init(role: .declarant, taxCode: taxCode, userId: "VNPT1001", terminalId: "TERM01", certificate: String(repeating: "a", count: 64), pin: "123456"), 404, "certificate-not-present"),
            (.init(role: .declarant, taxCode: taxCode, userId: "VNPT1001", terminalId: "TERM01", certificate: certificate.sha256, pin: "000000"), 401, "pin-incorrect"),
        ]
        for (request, status, code) in cases {
            let response = try await Self.post(client, "/v1/registrations", request)
            #expect(response.status == status, "\(request.role) \(request.taxCode) \(request.userId ?? "")")
            #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code == code)
        }
        // A role the API does not know is an invalid field, named as such (the typed request cannot even say it).
        let unknownRole = #"{"role": "owner", "taxCode": "\#(taxCode)", "certificate": "\#(certificate.sha256)", "pin": "123456"}"#
        let refused = try await client.request(.POST, "/v1/registrations", body: Array(unknownRole.utf8))
        let problem = try APIJSON.decoder().decode(ProblemDetails.self, from: Data(refused.body))
        #expect(refused.status == 422 && problem.code == "invalid-field" && problem.detail?.contains("owner") == true, "\(problem)")
        // A valid registration, then bindings that must be refused.
        let registration = try await Self.register(client, token: vnpt, userId: "VNPT1001", terminalId: "TERM01")
        // Same shape, other Terminal ID: canonical, but not what the token signed.
        let tampered = Data(registration.statementText.replacingOccurrences(of: "TERM01", with: "TERM09").utf8)
        let notCanonical = registration.statement + Data(" ".utf8)
        let refusals: [(BindingCreateRequest, Int, String)] = [
            (.init(statement: tampered, signature: registration.signature), 422, "signature-invalid"),
            (.init(statement: notCanonical, signature: registration.signature), 422, "invalid-statement"),
            (.init(statement: registration.statement, signature: Data([0x30, 0x03, 0x02, 0x01, 0x00])), 422, "signature-invalid"),
            (.init(statement: registration.statement, signature: registration.signature, terminalAccessKey: "way-too-long-access-key!"), 422, "invalid-field"),
        ]
        for (request, status, code) in refusals {
            let response = try await Self.post(client, "/v1/bindings", request)
            #expect(response.status == status)
            #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code == code)
        }
        let malformed = try await client.request(.POST, "/v1/bindings", body: Array(#"{"statement": "%%", "signature": "AA=="}"#.utf8))
        #expect(malformed.status == 400)
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)
        // Bound once; the same User ID again, or the same certificate for another declarant, is refused.
        #expect(try await Self.post(client, "/v1/bindings", BindingCreateRequest(statement: registration.statement, signature: registration.signature)).status == 201)
        #expect(try await Self.post(client, "/v1/bindings", BindingCreateRequest(statement: registration.statement, signature: registration.signature)).status == 409)
        let other = try await Self.register(client, token: vnpt, userId: "VNPT1002", terminalId: "TERM02")
        let second = try await Self.post(client, "/v1/bindings", BindingCreateRequest(statement: other.statement, signature: other.signature))
        #expect(second.status == 409)
        #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(second.body)).code == "certificate-bound-to-other-account")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.count == 1)
        try await daemon.stop()
    }

    @Test("an admin account binds to the tax code; the branch certificate of the same business can sign for it")
    func adminAccount() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let vnpt = try #require(tokens.first { $0.label == "kyso-vnpt" })
        let branch = try #require(tokens.first { $0.label == "kyso-branch" })
        let certificate = try #require(vnpt.certificates.first)
        let taxCode = try #require(certificate.profile.taxCode?.value)
        let response = try await Self.post(client, "/v1/registrations", RegistrationRequest(
            role: .admin, taxCode: taxCode, certificate: certificate.sha256, pin: "123456"))
        let registration = try response.decode(RegistrationResponse.self)
        #expect(try await Self.post(client, "/v1/bindings", BindingCreateRequest(statement: registration.statement, signature: registration.signature)).status == 201)
        let shown = try await client.get("/v1/tokens/\(branch.id)", as: TokenInfoResponse.self)
        #expect(shown.certificates.first?.accounts?.map(\.role) == [.admin])
        #expect(try await client.request(.GET, "/v1/bindings/\(taxCode)").status == 200)
        try await daemon.stop()
    }
}

/// The HTTP methods these tests send, without importing NIO into every test file.
enum HTTPMethodName {
    case POST, PUT
    var nio: NIOHTTP1.HTTPMethod { self == .POST ? .POST : .PUT }
}
