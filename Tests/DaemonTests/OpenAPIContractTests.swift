import Foundation
import KysoAPI
import KysoCore
import KysoDaemon
import KysoTestSupport
import NIOHTTP1
import Testing

/// Sources/KysoAPI/openapi.yaml against a real kysod on the SoftHSM lab: the document is valid OpenAPI 3.1 and
/// names exactly the routes of the router's Endpoint table, and every answer's status, content type, headers and JSON
/// body are what the document says (checked by openapi-check.py with openapi-schema-validator, OAS 3.1 dialect).
@Suite("the OpenAPI document matches kysod", .serialized)
struct OpenAPIContractTests {
    /// The routes kysod serves, with the methods each answers: the router's own table (`Endpoint`), which
    /// metrics and access checks read too.
    static let routes: [String: Set<String>] = Dictionary(grouping: Endpoint.allCases, by: \.template)
        .mapValues { Set($0.map { $0.method.rawValue.lowercased() }) }

    @Test("the document is valid OpenAPI 3.1, with closed schemas, and documents exactly the router's routes")
    func documentAndRoutes() throws {
        let validation = try OpenAPICheck.run(["spec", OpenAPICheck.spec])
        #expect(validation.ok, "\(validation.output)")

        let listed = try OpenAPICheck.run(["paths", OpenAPICheck.spec])
        let documented = try JSONDecoder().decode([String: [String]].self, from: Data(listed.output.utf8))
        #expect(documented.mapValues(Set.init) == Self.routes, "the router serves \(Self.routes); the document has \(documented)")

        // Every problem code kysod can send is one the document lists, and the document lists no other.
        let codes = try OpenAPICheck.run(["codes", OpenAPICheck.spec])
        let documentedCodes = Set(try JSONDecoder().decode([String].self, from: Data(codes.output.utf8)))
        let sentCodes = Set(ProblemCode.allCases.map(\.rawValue))
        #expect(sentCodes == documentedCodes, "kysod's codes not in the document: \(sentCodes.subtracting(documentedCodes).sorted()); documented codes kysod never sends: \(documentedCodes.subtracting(sentCodes).sorted())")
        // Every binding rule's refusal is a problem code.
        #expect(Set(BindingRefusal.Code.allCases.map(\.rawValue)).isSubset(of: sentCodes))
    }

    // The time limit guards the binding-event replay, which waits on a live stream.
    @Test("every answer kysod gives, success or problem, matches its documented response", .timeLimit(.minutes(3)))
    func responsesMatchTheDocument() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let token = try #require(tokens.first)
        let certificate = try #require(token.certificates.first)
        // A token with one certificate and its key, so a sign request needs no certificate named.
        let labToken = try #require(manifest.tokens.first { $0.kind == "enterprise" && $0.certificates.count == 1 })
        let signer = try #require(tokens.first { $0.label == labToken.label })
        let hello = Array(#"{"data":"aGVsbG8="}"#.utf8)
        let withPIN = Array(#"{"data":"aGVsbG8=","pin":"\#(labToken.pin)"}"#.utf8)

        let cases: [Exchange] = [
            Exchange(.GET, "/v1/status", template: "/v1/status", expect: 200),
            Exchange(.GET, "/v1/tokens", template: "/v1/tokens", expect: 200),
            Exchange(.GET, "/v1/tokens/\(token.id)", template: "/v1/tokens/{id}", expect: 200),
            Exchange(.GET, "/v1/tokens/0000000000000000", template: "/v1/tokens/{id}", expect: 404),
            Exchange(.GET, "/v1/certificates/\(certificate.sha256)", template: "/v1/certificates/{sha256}", expect: 200),
            Exchange(.GET, "/v1/certificates/\(certificate.sha256.uppercased())", template: "/v1/certificates/{sha256}", expect: 200),
            Exchange(.GET, "/v1/certificates/not-a-fingerprint", template: "/v1/certificates/{sha256}", expect: 400),
            Exchange(.GET, "/v1/certificates/" + String(repeating: "0", count: 64), template: "/v1/certificates/{sha256}", expect: 404),
            Exchange(.GET, "/metrics", template: "/metrics", expect: 200),
            Exchange(.GET, "/v1/events", template: "/v1/events", expect: 400, headers: [("last-event-id", "yesterday")]),
            Exchange(.GET, "/v1/status", template: "/v1/status", expect: 413, body: [UInt8](repeating: 0x41, count: 70 * 1024)),
            Exchange(.POST, "/v1/tokens/\(signer.id)/sign", template: "/v1/tokens/{id}/sign", expect: 401, body: hello),
            Exchange(.POST, "/v1/tokens/\(signer.id)/sign", template: "/v1/tokens/{id}/sign", expect: 400,
                     body: Array(#"{"data":"aGVsbG8=","mechanism":"md5-rsa"}"#.utf8)),
            Exchange(.POST, "/v1/tokens/\(signer.id)/sign", template: "/v1/tokens/{id}/sign", expect: 400, body: Array("not json".utf8)),
            Exchange(.POST, "/v1/tokens/0000000000000000/sign", template: "/v1/tokens/{id}/sign", expect: 404, body: hello),
            Exchange(.POST, "/v1/tokens/\(signer.id)/sign", template: "/v1/tokens/{id}/sign", expect: 200, body: withPIN),
            Exchange(.POST, "/v1/tokens/\(signer.id)/logout", template: "/v1/tokens/{id}/logout", expect: 204),
            Exchange(.POST, "/v1/tokens/0000000000000000/logout", template: "/v1/tokens/{id}/logout", expect: 404),
            Exchange(.POST, "/v1/logout", template: "/v1/logout", expect: 204),
            // Remote signing (no service configured here; RemoteSigningTests asks them against the CSC test service).
            Exchange(.POST, "/v1/tokens/\(signer.id)/otp", template: "/v1/tokens/{id}/otp", expect: 404),
            Exchange(.PUT, "/v1/remote-services/mysign/secrets/password", template: "/v1/remote-services/{name}/secrets/{kind}", expect: 404,
                     body: Array(#"{"value":"secret"}"#.utf8)),
            Exchange(.GET, "/v1/remote-services/mysign/secrets/password", template: "/v1/remote-services/{name}/secrets/{kind}", expect: 404),
            // Answers OpenAPI cannot attach to an operation: documented under components/responses.
            Exchange(.DELETE, "/v1/tokens", component: "MethodNotAllowed", expect: 405),
            Exchange(.GET, "/v1/logout", component: "MethodNotAllowed", expect: 405),
            Exchange(.GET, "/v1/nothing", component: "NotFound", expect: 404),
        ]
        for exchange in cases { try await Self.send(exchange, to: client) }
        try await accountAnswersMatch(client: client, manifest: manifest, tokens: tokens)
        let metrics = try await client.request(.GET, "/metrics")
        #expect(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")

        // The event stream: each data line is a DaemonEvent whose id and type repeat the SSE id and event lines.
        var events = client.events().makeAsyncIterator()
        let snapshot = try #require(try await events.next())
        let event = try APIJSON.decoder().decode(DaemonEvent.self, from: Data(snapshot.data.utf8))
        #expect(snapshot.event == "snapshot" && event.type == .snapshot)
        #expect(snapshot.id == String(event.id))
        #expect(event.data.tokens?.count == tokens.count)
        let verdict = try OpenAPICheck.schema("DaemonEvent", snapshot.data)
        #expect(verdict.ok, "\(verdict.output)")
        try await daemon.stop()
    }

    /// The account routes in the order a user takes them: register on a lab token with its PIN → bind with the
    /// returned statement and signature → list → get → reveal a secret → move to the token's other certificate →
    /// audit → delete; and their refusals (400, 401, 404, 405, 409, 422). Each answer is checked against the document.
    func accountAnswersMatch(client: KysoClient, manifest: LabManifest, tokens: [TokenInfoResponse]) async throws {
        let lab = try #require(manifest.tokens.first { $0.kind == "two-certs" && $0.certificates.count == 2 })
        let token = try #require(tokens.first { $0.label == lab.label })
        let taxCode = try #require(lab.certificates[0].taxCode)
        let (first, second) = (lab.certificates[0].sha256, lab.certificates[1].sha256)
        let userId = "KYSOA001"
        let challenge = Data("contract-test challenge".utf8)
        func registration(_ certificate: String, role: AccountRole = .declarant, taxCode: String = taxCode, userId: String? = userId,
                          pin: String? = lab.pin) throws -> [UInt8] {
            let request = RegistrationRequest(role: role, taxCode: taxCode, userId: role == .admin ? nil : userId,
                                              terminalId: role == .admin ? nil : "T00001", challenge: challenge,
                                              certificate: certificate, pin: pin.map { SecretBytes($0) })
            return Array(try APIJSON.encoder().encode(request))
        }
        func binding(_ registered: RegistrationResponse, statement: Data? = nil, secrets: Bool = true) throws -> [UInt8] {
            Array(try APIJSON.encoder().encode(BindingCreateRequest(
                statement: statement ?? registered.statement, signature: registered.signature,
                terminalAccessKey: secrets ? "tak0abc123" : nil, password: secrets ? "pw#2026x" : nil)))
        }
        let register = "/v1/registrations"
        let bindings = "/v1/bindings"
        let one = "/v1/bindings/{account}"
        let secret = "/v1/bindings/{account}/secrets/{kind}"

        try await Self.send(Exchange(.POST, register, template: register, expect: 422, body: try registration(first, userId: "KYSO")), to: client)
        try await Self.send(Exchange(.POST, register, template: register, expect: 422,
                                     body: try registration(first, role: .admin, taxCode: "0100109106")), to: client)
        try await Self.send(Exchange(.POST, register, template: register, expect: 404, body: try registration(String(repeating: "0", count: 64))), to: client)
        try await Self.send(Exchange(.POST, register, template: register, expect: 400, body: Array("not json".utf8)), to: client)
        try await Self.send(Exchange(.POST, register, template: register, expect: 401, body: try registration(first, pin: nil)), to: client)
        let registered = try await Self.send(Exchange(.POST, register, template: register, expect: 200, body: try registration(first)), to: client)
            .decode(RegistrationResponse.self)
        #expect(registered.certificateSha256 == first && registered.tokenId == token.id)
        #expect(registered.statementText.contains(#""userId":"\#(userId)""#) && registered.statementText.contains(challenge.base64EncodedString()))
        #expect(!registered.statementText.contains(#""pin""#), "the statement carries the PIN")

        // A statement changed after signing (another Terminal ID) no longer matches its signature.
        let altered = Data(registered.statementText.replacingOccurrences(of: "T00001", with: "T00002").utf8)
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 422, body: try binding(registered, statement: altered)), to: client)
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 400, body: Array(#"{"statement":"not base64!"}"#.utf8)), to: client)
        let bound = try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 201, body: try binding(registered)), to: client)
            .decode(BindingInfo.self)
        #expect(bound.account == userId && bound.certificate.sha256 == first && bound.secrets.sorted() == ["password", "terminalAccessKey"])
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 409, body: try binding(registered)), to: client)

        let listed = try await Self.send(Exchange(.GET, bindings, template: bindings, expect: 200), to: client).decode(BindingListResponse.self)
        #expect(listed.bindings.map(\.account) == [userId])
        try await Self.send(Exchange(.GET, "/v1/bindings/\(userId)", template: one, expect: 200), to: client)
        try await Self.send(Exchange(.GET, "/v1/bindings/\(userId.lowercased())", template: one, expect: 200), to: client)
        try await Self.send(Exchange(.GET, "/v1/bindings/NOBODY01", template: one, expect: 404), to: client)
        let shown = try await Self.send(Exchange(.GET, "/v1/tokens/\(token.id)", template: "/v1/tokens/{id}", expect: 200), to: client)
            .decode(TokenInfoResponse.self)
        #expect(shown.certificates.first { $0.sha256 == first }?.accounts?.map(\.account) == [userId])

        let revealed = try await Self.send(Exchange(.GET, "/v1/bindings/\(userId)/secrets/terminalAccessKey", template: secret, expect: 200), to: client)
            .decode(SecretResponse.self)
        #expect(revealed.value == "TAK0ABC123", "the access key is stored upper-cased")
        try await Self.send(Exchange(.GET, "/v1/bindings/\(userId)/secrets/pin", template: secret, expect: 400), to: client)
        try await Self.send(Exchange(.GET, "/v1/bindings/NOBODY01/secrets/password", template: secret, expect: 404), to: client)

        // The token's second certificate (same holder and tax code) takes the binding over.
        let renewed = try await Self.send(Exchange(.POST, register, template: register, expect: 200, body: try registration(second)), to: client)
            .decode(RegistrationResponse.self)
        let moved = try await Self.send(Exchange(.PUT, "/v1/bindings/\(userId)", template: one, expect: 200,
                                                 body: try binding(renewed, secrets: false)), to: client).decode(BindingInfo.self)
        #expect(moved.certificate.sha256 == second)
        try await Self.send(Exchange(.PUT, "/v1/bindings/\(userId)", template: one, expect: 422, body: try binding(renewed, secrets: false)), to: client)
        try await Self.send(Exchange(.PUT, "/v1/bindings/\(userId)", template: one, expect: 400, body: Array("[]".utf8)), to: client)

        // An admin account: the tax code names it.
        let vnpt = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" })
        let vnptCertificate = try #require(vnpt.certificates.first)
        let vnptTaxCode = try #require(vnptCertificate.taxCode)
        let admin = try await Self.send(Exchange(.POST, register, template: register, expect: 200,
                                                 body: try registration(vnptCertificate.sha256, role: .admin, taxCode: vnptTaxCode)), to: client)
            .decode(RegistrationResponse.self)
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 201, body: try binding(admin, secrets: false)), to: client)
        try await Self.send(Exchange(.GET, "/v1/bindings/\(vnptTaxCode)", template: one, expect: 200), to: client)

        // Secrets sealed to the token (the lab's Viettel certificate allows key encipherment; VNPT's does not).
        let viettel = try #require(manifest.tokens.first { $0.label == "kyso-viettel" }?.certificates.first)
        let sealedUser = "KYSOS001"
        let sealedRegistration = try await Self.send(Exchange(.POST, register, template: register, expect: 200,
            body: try registration(viettel.sha256, taxCode: try #require(viettel.taxCode), userId: sealedUser)), to: client).decode(RegistrationResponse.self)
        func sealedBinding(_ registered: RegistrationResponse, pin: String?) throws -> [UInt8] {
            Array(try APIJSON.encoder().encode(BindingCreateRequest(statement: registered.statement, signature: registered.signature,
                                                                    terminalAccessKey: "SEALED01", sealing: .token, pin: pin.map { SecretBytes($0) })))
        }
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 401, body: try sealedBinding(sealedRegistration, pin: nil)), to: client)
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 400, body: Array(#"{"statement":"","signature":"","sealing":7}"#.utf8)), to: client)
        let sealed = try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 201,
                                                  body: try sealedBinding(sealedRegistration, pin: lab.pin)), to: client).decode(BindingInfo.self)
        #expect(sealed.sealedToToken == ["terminalAccessKey"])
        let sealedSecret = "/v1/bindings/\(sealedUser)/secrets/terminalAccessKey"
        try await Self.send(Exchange(.GET, sealedSecret, template: secret, expect: 401), to: client)
        try await Self.send(Exchange(.POST, sealedSecret, template: secret, expect: 401, body: Array(#"{"pin":"000000"}"#.utf8)), to: client)
        try await Self.send(Exchange(.POST, sealedSecret, template: secret, expect: 400, body: Array("not json".utf8)), to: client)
        let opened = try await Self.send(Exchange(.POST, sealedSecret, template: secret, expect: 200,
                                                  body: Array(#"{"pin":"\#(lab.pin)"}"#.utf8)), to: client).decode(SecretResponse.self)
        #expect(opened.value == "SEALED01")
        let vnptDeclarant = try await Self.send(Exchange(.POST, register, template: register, expect: 200,
            body: try registration(vnptCertificate.sha256, taxCode: vnptTaxCode, userId: "KYSOV001")), to: client).decode(RegistrationResponse.self)
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 422, body: try sealedBinding(vnptDeclarant, pin: lab.pin)), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/bindings/\(sealedUser)", template: one, expect: 204), to: client)

        // A secret changed on the binding; a backup and a restore (a dry run, a conflict, a wrong passphrase).
        func secretChange(_ value: String) throws -> [UInt8] {
            Array(try APIJSON.encoder().encode(SecretStoreRequest(value: SecretBytes(value))))
        }
        let passwordPath = "/v1/bindings/\(userId)/secrets/password"
        let changed = try await Self.send(Exchange(.PUT, passwordPath, template: secret, expect: 200, body: try secretChange("new#2027")), to: client)
            .decode(BindingInfo.self)
        #expect(changed.secrets.contains("password"))
        try await Self.send(Exchange(.PUT, passwordPath, template: secret, expect: 422, body: try secretChange("much-too-long")), to: client)
        try await Self.send(Exchange(.PUT, "/v1/bindings/NOBODY01/secrets/password", template: secret, expect: 404, body: try secretChange("pw1")), to: client)
        try await Self.send(Exchange(.PUT, passwordPath, template: secret, expect: 400, body: Array("[]".utf8)), to: client)
        try await Self.send(Exchange(.POST, "/v1/backup", template: "/v1/backup", expect: 400, body: Array(#"{"passphrase":"short"}"#.utf8)), to: client)
        let backupFile = try await Self.send(Exchange(.POST, "/v1/backup", template: "/v1/backup", expect: 200,
                                                      body: Array(#"{"passphrase":"contract test passphrase"}"#.utf8)), to: client).decode(BackupFile.self)
        func restore(_ passphrase: String, dryRun: Bool? = nil) throws -> [UInt8] {
            Array(try APIJSON.encoder().encode(RestoreRequest(backup: backupFile, passphrase: SecretBytes(passphrase), dryRun: dryRun)))
        }
        let preview = try await Self.send(Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 200,
                                                   body: try restore("contract test passphrase", dryRun: true)), to: client).decode(RestoreReport.self)
        #expect(preview.dryRun && preview.unchanged.contains(userId))
        try await Self.send(Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 422, body: try restore("a wrong passphrase")), to: client)
        try await Self.send(Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 400, body: Array("{}".utf8)), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/bindings/\(userId)", template: one, expect: 204), to: client)
        let again = try await Self.send(Exchange(.POST, register, template: register, expect: 200, body: try registration(second)), to: client)
            .decode(RegistrationResponse.self)
        try await Self.sleepPastSecond()
        try await Self.send(Exchange(.POST, bindings, template: bindings, expect: 201, body: try binding(again, secrets: false)), to: client)
        try await Self.send(Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 409, body: try restore("contract test passphrase")), to: client)

        let audit = try await Self.send(Exchange(.GET, "/v1/audit?limit=3", template: "/v1/audit", expect: 200), to: client).decode(AuditResponse.self)
        #expect(audit.entries.count == 3)
        let all = try await Self.send(Exchange(.GET, "/v1/audit", template: "/v1/audit", expect: 200), to: client).decode(AuditResponse.self)
        for action in ["register", "bind", "rebind", "secret.reveal"] {
            #expect(all.entries.contains { $0.action == action && $0.outcome == "success" }, "no successful \(action) in the audit")
        }

        try await Self.send(Exchange(.DELETE, "/v1/bindings/\(userId)", template: one, expect: 204), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/bindings/\(userId)", template: one, expect: 404), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/bindings/nobody", template: one, expect: 400), to: client)
        try await Self.send(Exchange(.GET, "/v1/bindings/\(userId)/secrets/password", template: secret, expect: 404), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/bindings/\(vnptTaxCode)", template: one, expect: 204), to: client)
        try await Self.send(Exchange(.PATCH, "/v1/bindings/\(userId)", component: "MethodNotAllowed", expect: 405), to: client)
        try await Self.send(Exchange(.DELETE, "/v1/audit", component: "MethodNotAllowed", expect: 405), to: client)

        // The binding events, replayed from the start of the ring buffer, match DaemonEvent.
        var events = client.events(lastEventID: 0).makeAsyncIterator()
        var seen: [String] = []
        while let event = try await events.next(), !(event.event == "binding.removed" && event.data.contains(vnptTaxCode)) {
            guard event.event.hasPrefix("binding.") else { continue }
            seen.append(event.event)
            let verdict = try OpenAPICheck.schema("DaemonEvent", event.data)
            #expect(verdict.ok, "\(verdict.output)")
            #expect(!event.data.contains("TAK0ABC123") && !event.data.contains("pw#2026x") && !event.data.contains("SEALED01"), "a secret in an event")
        }
        // A move (PUT) is binding.moved, every other binding binding.created (issue 13).
        #expect(seen.filter { $0 == "binding.created" || $0 == "binding.moved" }.count == 5 && seen.contains("binding.moved")
                && seen.contains("binding.removed"), "\(seen)")
    }

    /// register → bind → list → get → reveal → move → audit → delete, each asked properly; the status of each,
    /// keyed by `METHOD template`.
    static func accountFlowStatuses(client: KysoClient, manifest: LabManifest, tokens: [TokenInfoResponse]) async throws -> [String: Int] {
        let lab = try #require(manifest.tokens.first { $0.kind == "two-certs" && $0.certificates.count == 2 })
        let taxCode = try #require(lab.certificates[0].taxCode)
        var statuses: [String: Int] = [:]
        func ask(_ method: HTTPMethod, _ path: String, _ template: String, _ body: some Encodable) async throws -> KysoClient.Response {
            let bytes = body is Empty ? nil : Array(try APIJSON.encoder().encode(body))
            let response = try await client.request(method, path, body: bytes)
            statuses["\(method.rawValue) \(template)"] = response.status
            return response
        }
        var registered: [RegistrationResponse] = []
        for certificate in lab.certificates {
            let request = RegistrationRequest(role: .declarant, taxCode: taxCode, userId: "KYSOB001", terminalId: "T00002",
                                              certificate: certificate.sha256, pin: SecretBytes(lab.pin))
            registered.append(try await ask(.POST, "/v1/registrations", "/v1/registrations", request).decode(RegistrationResponse.self))
        }
        _ = try await ask(.POST, "/v1/bindings", "/v1/bindings", BindingCreateRequest(
            statement: registered[0].statement, signature: registered[0].signature, terminalAccessKey: "KEY1"))
        _ = try await ask(.GET, "/v1/bindings", "/v1/bindings", Empty())
        _ = try await ask(.GET, "/v1/bindings/KYSOB001", "/v1/bindings/{account}", Empty())
        _ = try await ask(.GET, "/v1/bindings/KYSOB001/secrets/terminalAccessKey", "/v1/bindings/{account}/secrets/{kind}", Empty())
        _ = try await ask(.POST, "/v1/bindings/KYSOB001/secrets/terminalAccessKey", "/v1/bindings/{account}/secrets/{kind}", SecretRevealRequest())
        _ = try await ask(.PUT, "/v1/bindings/KYSOB001/secrets/password", "/v1/bindings/{account}/secrets/{kind}",
                          SecretStoreRequest(value: "pw#2026x", sealing: .host))
        let backup = try await ask(.POST, "/v1/backup", "/v1/backup", BackupRequest(passphrase: "contract test passphrase")).decode(BackupFile.self)
        _ = try await ask(.POST, "/v1/restore", "/v1/restore", RestoreRequest(backup: backup, passphrase: "contract test passphrase"))
        _ = try await ask(.PUT, "/v1/bindings/KYSOB001", "/v1/bindings/{account}",
                          BindingCreateRequest(statement: registered[1].statement, signature: registered[1].signature))
        _ = try await ask(.GET, "/v1/audit", "/v1/audit", Empty())
        _ = try await ask(.DELETE, "/v1/bindings/KYSOB001", "/v1/bindings/{account}", Empty())
        return statuses
    }

    /// No body.
    private struct Empty: Encodable {}

    /// Bindings are timed to the second: a binding made again within the same second would not differ in time.
    static func sleepPastSecond() async throws { try await Task.sleep(for: .milliseconds(1100)) }

    /// Sends one exchange, checks its status and its answer against the document, and returns the answer.
    @discardableResult
    static func send(_ exchange: Exchange, to client: KysoClient) async throws -> KysoClient.Response {
        let response = try await client.request(exchange.method, exchange.path, body: exchange.body, headers: exchange.headers)
        let label = "\(exchange.method.rawValue) \(exchange.path.prefix(80))"
        #expect(response.status == exchange.expect, "\(label): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
        let verdict = try OpenAPICheck.response(exchange, response)
        #expect(verdict.ok, "\(label): \(verdict.output)")
        if response.status >= 400, let problem = try? JSONDecoder().decode(ProblemDetails.self, from: Data(response.body)) {
            #expect(problem.type == "urn:kyso:problem:\(problem.code)" && problem.status == response.status, "\(label)")
        }
        return response
    }

    @Test("every documented operation, asked properly, is answered by its route (not 404)")
    func everyDocumentedPathAnswers() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let labToken = try #require(manifest.tokens.first { $0.kind == "enterprise" && $0.certificates.count == 1 })
        let token = try #require(tokens.first { $0.label == labToken.label })
        let certificate = try #require(token.certificates.first)
        let listed = try OpenAPICheck.run(["paths", OpenAPICheck.spec])
        let documented = try JSONDecoder().decode([String: [String]].self, from: Data(listed.output.utf8))
        #expect(!documented.isEmpty)
        // The account routes depend on each other (a binding needs a signed statement, a reveal needs a binding):
        // they are asked in a user's order first, and their answers looked up below.
        let accountAnswers = try await Self.accountFlowStatuses(client: client, manifest: manifest, tokens: tokens)
        for (template, methods) in documented {
            if template.hasPrefix("/v1/bindings") || ["/v1/registrations", "/v1/audit", "/v1/backup", "/v1/restore"].contains(template) {
                for method in methods {
                    let status = accountAnswers["\(method.uppercased()) \(template)"]
                    #expect(status.map { (200..<300).contains($0) } == true, "\(method.uppercased()) \(template): \(status.map(String.init) ?? "the test does not know how to ask it")")
                }
                continue
            }
            // Remote signing needs a CSC service: RemoteSigningTests.RemoteDaemonTests asks these against the test service.
            if template.hasPrefix("/v1/remote-services/") || template.hasSuffix("/otp") { continue }
            let path = template.replacingOccurrences(of: "{id}", with: token.id).replacingOccurrences(of: "{sha256}", with: certificate.sha256)
            #expect(!path.contains("{"), "\(template): the test does not know a value for this parameter")
            for method in methods {
                if template == "/v1/events" {
                    // The stream never ends: its first event is the answer.
                    var events = client.events().makeAsyncIterator()
                    let first = try await events.next()
                    #expect(first?.event == "snapshot", "\(template)")
                    continue
                }
                let body = template.hasSuffix("/sign") ? Array(#"{"data":"aGVsbG8=","pin":"\#(labToken.pin)"}"#.utf8) : nil
                let response = try await client.request(HTTPMethod(rawValue: method.uppercased()), path, body: body)
                #expect((200..<300).contains(response.status), "\(method.uppercased()) \(path): \(response.status) \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            }
        }
        try await daemon.stop()
    }

    @Test("schemathesis finds nothing within its time bound (Unix socket reached through a local TCP forwarder)",
          .enabled(if: OpenAPICheck.schemathesisInstalled, "schemathesis is not installed: pip install schemathesis"),
          .timeLimit(.minutes(2)))
    func schemathesis() async throws {
        let (daemon, _, _) = try await startDaemonOnLab()
        let run = try OpenAPICheck.run(["schemathesis", OpenAPICheck.spec, daemon.socketPath, "--max-time", "40", "--max-examples", "20"])
        #expect(run.ok, "\(run.output)")
        #expect(daemon.isRunning, "kysod died under schemathesis: \(daemon.log().suffix(2000))")
        try await daemon.stop()
    }
}

/// One request and where the document describes its answer.
struct Exchange {
    var method: HTTPMethod
    var path: String
    /// The documented path template, or nil when `component` names the response.
    var template: String?
    var component: String?
    var expect: Int
    var body: [UInt8]?
    var headers: [(String, String)]

    init(_ method: HTTPMethod, _ path: String, template: String? = nil, component: String? = nil, expect: Int,
         body: [UInt8]? = nil, headers: [(String, String)] = []) {
        self.method = method
        self.path = path
        self.template = template
        self.component = component
        self.expect = expect
        self.body = body
        self.headers = headers
    }
}

/// Runs Tests/DaemonTests/openapi-check.py.
enum OpenAPICheck {
    static let spec = Lab.repositoryRoot.appendingPathComponent("Sources/KysoAPI/openapi.yaml").path
    static let script = Lab.repositoryRoot.appendingPathComponent("Tests/DaemonTests/openapi-check.py").path

    static let schemathesisInstalled: Bool = (try? Shell.run("sh", ["-c", "command -v schemathesis || command -v st"])) != nil

    /// Runs the checker; a non-zero exit is a verdict (`ok` false with the reasons), not an error.
    static func run(_ arguments: [String]) throws -> (ok: Bool, output: String) {
        do {
            return (true, String(decoding: try Shell.run("python3", [script] + arguments), as: UTF8.self))
        } catch let failure as Shell.Failure {
            return (false, failure.output)
        }
    }

    static func response(_ exchange: Exchange, _ response: KysoClient.Response) throws -> (ok: Bool, output: String) {
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-body-\(UUID().uuidString)")
        try Data(response.body).write(to: body)
        defer { try? FileManager.default.removeItem(at: body) }
        var arguments = ["response", spec, "--method", exchange.method.rawValue.lowercased(), "--status", String(response.status),
                         "--body", body.path]
        if let template = exchange.template { arguments += ["--path", template] }
        if let component = exchange.component { arguments += ["--component-response", component] }
        if let contentType = response.header("content-type"), !response.body.isEmpty { arguments += ["--content-type", contentType] }
        for (name, value) in response.headers { arguments += ["--header", "\(name)=\(value)"] }
        return try run(arguments)
    }

    static func schema(_ name: String, _ json: String) throws -> (ok: Bool, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-value-\(UUID().uuidString)")
        try Data((json + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run(["schema", spec, name, file.path])
    }
}
