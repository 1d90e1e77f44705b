import Foundation
import KysoRemote
import KysoTestSupport

/// `Tools/csc-test-service` on a private copy of the token lab, HTTPS on a free loopback port; stopped by `stop()`.
final class CSCTestService: Sendable {
    /// The test service's fixed test logins (Tools/csc-test-service/README.md).
    static let user = "MST_0100000000-kyso"
    static let password = "kyso-test-password"
    static let clientID = "kyso-test-client"
    static let clientSecret = "kyso-test-client-secret"
    static let pin = "123456"

    struct Ready: Decodable {
        let port: Int
        let caFile: String
        let credentials: [String]
    }

    struct Stats: Decodable {
        let calls: [String: Int]
        let signHashCalls: Int
        let signaturesMade: Int
        let signed: [String: Int]
    }

    struct ControlCredential: Decodable {
        let credentialID: String
        let tokenLabel: String
        let taxCode: String?
        let keyType: String
    }

    let child: ChildProcess
    let ready: Ready
    let manifest: LabManifest
    /// The service's lab copy (its `pki/` holds the TEST CAs the credentials chain to).
    let lab: URL

    /// Serves the certificates of the lab tokens `tokens`; `arguments` are the service's behaviour flags.
    init(tokens: [String] = ["kyso-vnpt", "kyso-ec-p256"], arguments: [String] = []) async throws {
        let (lab, manifest) = try await Lab.copy()
        self.manifest = manifest
        self.lab = lab
        let state = lab.appendingPathComponent("csc-state")
        child = try ChildProcess(
            Lab.repositoryRoot.appendingPathComponent("Tools/csc-test-service/csc-test-service").path,
            ["--lab", lab.path, "--state", state.path] + tokens.flatMap { ["--token", $0] } + arguments)
        let line = try await child.waitForLine(startingWith: #"{"port""#, timeout: .seconds(30))
        ready = try JSONDecoder().decode(Ready.self, from: Data(line.utf8))
    }

    /// Stops the service (SIGTERM, waited for); a service not stopped is killed when the fixture goes.
    func stop() async throws {
        try await child.stop()
    }

    func baseURL(_ version: CSCAPIVersion) -> String {
        "https://127.0.0.1:\(ready.port)/csc/\(version == .v1 ? "v1" : "v2")"
    }

    /// A client configuration for this service: the holder's basic login, the service's TLS CA, short timeouts.
    func configuration(_ version: CSCAPIVersion) -> CSCServiceConfiguration {
        var configuration = CSCServiceConfiguration(
            baseURL: baseURL(version), version: version, login: .basic(username: Self.user, password: Self.password))
        configuration.extraTrustRootsFile = ready.caFile
        configuration.connectTimeout = .seconds(2)
        configuration.requestTimeout = .seconds(10)
        configuration.approvalPollInterval = .milliseconds(100)
        return configuration
    }

    func client(_ version: CSCAPIVersion, _ adjust: (inout CSCServiceConfiguration) -> Void = { _ in }) throws -> CSCClient {
        var configuration = configuration(version)
        adjust(&configuration)
        return try CSCClient(configuration: configuration)
    }

    /// A control endpoint (`GET` without a body, `POST` with one), through curl with the service's CA.
    @discardableResult
    func control(_ path: String, _ json: String? = nil) throws -> Data {
        var arguments = ["-s", "--fail-with-body", "--cacert", ready.caFile]
        if let json { arguments += ["-X", "POST", "-H", "Content-Type: application/json", "-d", json] }
        return try Shell.run("curl", arguments + ["https://127.0.0.1:\(ready.port)/control/\(path)"])
    }

    func stats() throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: try control("stats"))
    }

    func otp(for credentialID: String) throws -> String {
        struct Answer: Decodable { let otp: String }
        return try JSONDecoder().decode(Answer.self, from: try control("otp?credentialID=\(credentialID)")).otp
    }

    /// The credential id serving `label`'s first certificate.
    func credentialID(token label: String) throws -> String {
        let all = try JSONDecoder().decode([ControlCredential].self, from: try control("credentials"))
        guard let found = all.first(where: { $0.tokenLabel == label }) else {
            throw TestFailure("no credential for lab token \(label)")
        }
        return found.credentialID
    }
}

/// Independent check of a raw signature over a digest with the `openssl` command.
enum OpenSSLDigestCheck {
    static func verify(signature: [UInt8], digest: [UInt8], certificate: [UInt8]) throws -> Bool {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-csc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        try Data(certificate).write(to: URL(fileURLWithPath: file("cert.der")))
        try Data(signature).write(to: URL(fileURLWithPath: file("sig")))
        try Data(digest).write(to: URL(fileURLWithPath: file("digest")))
        try Shell.run("openssl", ["x509", "-inform", "DER", "-in", file("cert.der"), "-pubkey", "-noout"])
            .write(to: URL(fileURLWithPath: file("pub.pem")))
        let output = try? Shell.run("openssl", [
            "pkeyutl", "-verify", "-pubin", "-inkey", file("pub.pem"), "-sigfile", file("sig"), "-in", file("digest"),
            "-pkeyopt", "digest:sha256",
        ])
        return output.map { String(decoding: $0, as: UTF8.self).contains("Signature Verified Successfully") } ?? false
    }
}
