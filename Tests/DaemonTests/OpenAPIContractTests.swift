import Foundation
import KysoAPI
import KysoTestSupport
import NIOHTTP1
import Testing

/// Sources/KysoAPI/openapi.yaml against a real kysod on the SoftHSM lab: the document is valid OpenAPI 3.1 and
/// names exactly the routes Router.swift serves, and every answer's status, content type, headers and JSON
/// body are what the document says (checked by openapi-check.py with openapi-schema-validator, OAS 3.1 dialect).
@Suite("the OpenAPI document matches kysod", .serialized)
struct OpenAPIContractTests {
    /// The routes kysod serves, with the one method each answers. Kept here as well as in the document so that
    /// a route added to one of the router, this list or the document, and not the others, fails a test.
    static let routes: [String: String] = [
        "/v1/status": "get", "/v1/tokens": "get", "/v1/tokens/{id}": "get", "/v1/certificates/{sha256}": "get",
        "/v1/events": "get", "/metrics": "get",
        "/v1/tokens/{id}/sign": "post", "/v1/tokens/{id}/logout": "post", "/v1/logout": "post",
    ]

    @Test("the document is valid OpenAPI 3.1, with closed schemas, and documents exactly the router's routes")
    func documentAndRoutes() throws {
        let validation = try OpenAPICheck.run(["spec", OpenAPICheck.spec])
        #expect(validation.ok, "\(validation.output)")

        let listed = try OpenAPICheck.run(["paths", OpenAPICheck.spec])
        let documented = try JSONDecoder().decode([String: [String]].self, from: Data(listed.output.utf8))
        #expect(documented == Self.routes.mapValues { [$0] })

        // Read the router itself, so a route added there without a word here or in the document is caught.
        let router = try String(contentsOf: Lab.repositoryRoot.appendingPathComponent("Sources/KysoDaemon/Router.swift"), encoding: .utf8)
        let served = RouterSource.routeShapes(router)
        #expect(!served.isEmpty, "no routes found in Router.swift: has its switch changed shape?")
        #expect(served == Set(documented.keys.map(RouterSource.shape)), "Router.swift serves \(served.sorted()); the document has \(documented.keys.sorted())")

        // Every problem code the daemon can send is one the document lists.
        let codes = try OpenAPICheck.run(["codes", OpenAPICheck.spec])
        let documentedCodes = Set(try JSONDecoder().decode([String].self, from: Data(codes.output.utf8)))
        let sentCodes = try RouterSource.problemCodes(under: Lab.repositoryRoot.appendingPathComponent("Sources/KysoDaemon"))
        #expect(sentCodes.contains("not-found") && sentCodes.contains("pin-required"), "problem codes not found in the sources: \(sentCodes)")
        #expect(sentCodes.subtracting(documentedCodes).isEmpty, "problem codes kysod sends but the document does not list: \(sentCodes.subtracting(documentedCodes).sorted())")
    }

    @Test("every answer kysod gives, success or problem, matches its documented response")
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
            // Answers OpenAPI cannot attach to an operation: documented under components/responses.
            Exchange(.DELETE, "/v1/tokens", component: "MethodNotAllowed", expect: 405),
            Exchange(.GET, "/v1/logout", component: "MethodNotAllowed", expect: 405),
            Exchange(.GET, "/v1/nothing", component: "NotFound", expect: 404),
        ]
        for exchange in cases {
            let response = try await client.request(exchange.method, exchange.path, body: exchange.body, headers: exchange.headers)
            let label = "\(exchange.method.rawValue) \(exchange.path.prefix(80))"
            #expect(response.status == exchange.expect, "\(label): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
            let verdict = try OpenAPICheck.response(exchange, response)
            #expect(verdict.ok, "\(label): \(verdict.output)")
            if response.status >= 400, let problem = try? JSONDecoder().decode(ProblemDetails.self, from: Data(response.body)) {
                #expect(problem.type == "urn:kyso:problem:\(problem.code)" && problem.status == response.status, "\(label)")
            }
        }
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
        for (template, methods) in documented {
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

/// The routes in Router.swift's switch, reduced to shapes (`/v1/tokens/{}`) that compare with document templates.
enum RouterSource {
    static func routeShapes(_ source: String) -> Set<String> {
        var shapes: Set<String> = []
        // case ["v1", "status"]:
        for match in source.matches(of: /case \[((?:"[^"]*"(?:, )?)+)\]:/) {
            let parts = match.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            shapes.insert("/" + parts.joined(separator: "/"))
        }
        // case let p where p.count == 4 && p[0] == "v1" && p[1] == "tokens" && p[3] == "sign":
        for match in source.matches(of: /case let (\w+) where \1\.count == (\d+)((?: && \1\[\d+\] == "[^"]*")*):/) {
            guard let count = Int(match.2) else { continue }
            var parts = Array(repeating: "{}", count: count)
            for fixed in String(match.3).matches(of: /\[(\d+)\] == "([^"]*)"/) {
                if let index = Int(fixed.1), index < count { parts[index] = String(fixed.2) }
            }
            shapes.insert("/" + parts.joined(separator: "/"))
        }
        return shapes
    }

    /// The `code:` of every ProblemDetails built in the daemon's sources.
    static func problemCodes(under directory: URL) throws -> Set<String> {
        var codes: Set<String> = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /ProblemDetails\([^)]*?code: "([a-z-]+)"/) { codes.insert(String(match.1)) }
        }
        return codes
    }

    /// `/v1/tokens/{id}` → `/v1/tokens/{}`.
    static func shape(_ template: String) -> String {
        template.replacing(/\{[^}]*\}/, with: "{}")
    }
}
