import Foundation
import KysoAPI
import NIOHTTP1
import KysoCore
import KysoTestSupport
import Testing

/// A kysod with no PKCS#11 module and no PC/SC, configured with one remote service (`lab`) in front of a
/// `CSCTestService`: the end-to-end path over kysod's socket.
final class RemoteDaemon: Sendable {
    let service: CSCTestService
    let daemon: DaemonProcess
    let client: KysoClient

    struct Options {
        var version = "2"
        var holderApproves = false
        var approvalTimeoutSeconds = 20.0
        /// Extra members of the service's section, as JSON text (`"methodPaths": {…}`).
        var extra = ""
        /// kysod arguments beside the defaults (`--module` for a lab token, `--state-dir` for a restart).
        var arguments: [String] = []
        var environment: [String: String] = [:]
    }

    init(service: CSCTestService, options: Options = Options(), setPassword: String? = CSCTestService.password) async throws {
        self.service = service
        daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--no-pcsc"] + options.arguments,
            configuration: Self.configuration(service, options), environment: options.environment)
        client = KysoClient(socketPath: daemon.socketPath)
        if let setPassword { try await self.setPassword(setPassword) }
    }

    static func configuration(_ service: CSCTestService, _ options: Options) -> String {
        let base = "https://127.0.0.1:\(service.ready.port)/csc/v\(options.version)"
        return """
            {"remoteServices": {"lab": {
                "baseURL": "\(base)", "version": "\(options.version)", "provider": "Kyso TEST CSC", "login": "basic",
                "username": "\(CSCTestService.user)", "caFile": "\(service.ready.caFile)", "refreshSeconds": 1,
                "requestTimeoutSeconds": 5, "holderApproves": \(options.holderApproves),
                "approvalTimeoutSeconds": \(options.approvalTimeoutSeconds)\(options.extra.isEmpty ? "" : ", " + options.extra)}}}
            """
    }

    /// `PUT /v1/remote-services/lab/secrets/password` as root (an administrator).
    @discardableResult
    func setPassword(_ password: String) async throws -> KysoClient.Response {
        let body = Array(try APIJSON.encoder().encode(RemoteSecretRequest(value: SecretBytes(password))))
        let response = try await checked(.PUT, "/v1/remote-services/lab/secrets/password", "/v1/remote-services/{name}/secrets/{kind}", body: body)
        #expect(response.status == 204, "\(String(decoding: response.body, as: UTF8.self))")
        return response
    }

    func tokens() async throws -> [TokenInfoResponse] {
        try await checked(.GET, "/v1/tokens", "/v1/tokens").decode(TokenListResponse.self).tokens
    }

    func remoteStatus() async throws -> RemoteServiceStatus? {
        try await checked(.GET, "/v1/status", "/v1/status").decode(StatusResponse.self).remoteServices?.first
    }

    /// Waits until the service's state is `state` (kysod asks it every second).
    @discardableResult
    func waitFor(_ state: RemoteServiceState, timeout: Duration = .seconds(20)) async throws -> RemoteServiceStatus {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = try await remoteStatus(), status.state == state { return status }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("remote service not \(state.rawValue) within \(timeout): \(String(describing: try await remoteStatus()))\n\(daemon.log())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The remote credential serving lab token `label`'s certificate, once listed.
    func token(serving label: String) async throws -> TokenInfoResponse {
        try await waitFor(.available)
        let credentialID = try service.credentialID(token: label)
        return try #require(try await tokens().first { $0.remote?.credentialId == credentialID })
    }

    func sign(_ token: TokenInfoResponse, digest: [UInt8], output: SignatureOutput = .raw, pin: String? = CSCTestService.pin,
              otp: String? = nil) async throws -> KysoClient.Response {
        let request = SignRequest(certificate: token.certificates.first?.sha256, digest: Data(digest), output: output,
                                  pin: pin.map { SecretBytes($0) }, otp: otp.map { SecretBytes($0) })
        return try await checked(.POST, "/v1/tokens/\(token.id)/sign", "/v1/tokens/{id}/sign", body: Array(try APIJSON.encoder().encode(request)))
    }

    /// `POST /v1/tokens/{id}/otp`.
    func sendOTP(_ token: TokenInfoResponse) async throws -> KysoClient.Response {
        try await checked(.POST, "/v1/tokens/\(token.id)/otp", "/v1/tokens/{id}/otp")
    }

    /// A request whose answer (status, headers, body) is checked against openapi.yaml, as the contract test does.
    func checked(_ method: HTTPMethod, _ path: String, _ template: String, body: [UInt8]? = nil) async throws -> KysoClient.Response {
        let response = try await client.request(method, path, body: body)
        let verdict = try Contract.response(method: method, template: template, response)
        #expect(verdict.ok, "\(method.rawValue) \(path): \(verdict.output)")
        return response
    }
}

/// Tests/DaemonTests/openapi-check.py, the contract test's checker, on remote signing's answers and events.
enum Contract {
    static let script = Lab.repositoryRoot.appendingPathComponent("Tests/DaemonTests/openapi-check.py").path
    static let spec = Lab.repositoryRoot.appendingPathComponent("Sources/KysoAPI/openapi.yaml").path

    static func run(_ arguments: [String]) throws -> (ok: Bool, output: String) {
        do {
            return (true, String(decoding: try Shell.run("python3", [script] + arguments), as: UTF8.self))
        } catch let failure as Shell.Failure {
            return (false, failure.output)
        }
    }

    static func response(method: HTTPMethod, template: String, _ response: KysoClient.Response) throws -> (ok: Bool, output: String) {
        let body = try OpenSSL.scratch().appendingPathComponent("body")
        try Data(response.body).write(to: body)
        var arguments = ["response", spec, "--method", method.rawValue.lowercased(), "--status", String(response.status),
                         "--body", body.path, "--path", template]
        if let contentType = response.header("content-type"), !response.body.isEmpty { arguments += ["--content-type", contentType] }
        for (name, value) in response.headers { arguments += ["--header", "\(name)=\(value)"] }
        return try run(arguments)
    }

    /// An event's JSON against the document's `DaemonEvent`.
    static func event(_ json: String) throws -> (ok: Bool, output: String) {
        let file = try OpenSSL.scratch().appendingPathComponent("event.json")
        try Data((json + "\n").utf8).write(to: file)
        return try run(["schema", spec, "DaemonEvent", file.path])
    }
}

extension KysoClient.Response {
    var problemCode: String? { (try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(body)))?.code }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Independent checks with the `openssl` command.
enum OpenSSL {
    static func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
        let file = try scratch().appendingPathComponent("data")
        try Data(bytes).write(to: file)
        return Array(try Shell.run("openssl", ["dgst", "-sha256", "-binary", file.path]))
    }

    /// Verifies a detached CMS over `content` up to the lab's TEST root (its provider CAs as intermediates).
    static func cmsVerify(cms: [UInt8], content: [UInt8], lab: URL) throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(cms).write(to: folder.appendingPathComponent("sig.p7s"))
        try Data(content).write(to: folder.appendingPathComponent("content"))
        let pki = lab.appendingPathComponent("pki")
        let bundle = try (["root"] + ["vnpt", "viettel", "fpt", "bkav"].map { "\($0)-ca" })
            .map { try String(contentsOfFile: pki.appendingPathComponent("\($0).pem").path, encoding: .utf8) }.joined()
        try bundle.write(to: folder.appendingPathComponent("store.pem"), atomically: true, encoding: .utf8)
        _ = try Shell.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", folder.appendingPathComponent("sig.p7s").path,
                                      "-content", folder.appendingPathComponent("content").path,
                                      "-CAfile", folder.appendingPathComponent("store.pem").path, "-purpose", "any", "-out", "/dev/null"])
    }

    static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-remote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// One run of the `kyso` binary this build made; standard output and error go to files (no pipe can fill up).
struct KysoCLI {
    let status: Int32
    let stdout: Data
    let stderr: String

    static func run(_ arguments: [String], socket: String, input: String? = nil) throws -> KysoCLI {
        let folder = try OpenSSL.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (inPath, outPath, errPath) = ["in", "out", "err"].map { folder.appendingPathComponent($0).path }.tuple3
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((input ?? "").utf8))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
        process.arguments = arguments + ["--socket", socket]
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        process.waitUntilExit()
        return KysoCLI(status: process.terminationStatus, stdout: FileManager.default.contents(atPath: outPath) ?? Data(),
                       stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
    }
}

extension Array {
    fileprivate var tuple3: (Element, Element, Element) { (self[0], self[1], self[2]) }
}
