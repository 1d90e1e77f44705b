import Foundation
import KysoDaemon
import KysoRemote
import KysoTestSupport
import Testing

/// `remoteServices` in kysod's configuration: what is accepted, and a clear refusal naming the key otherwise.
@Suite("remote services in kysod's configuration")
struct RemoteConfigurationTests {
    static func settings(_ json: String) throws -> DaemonSettings {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-remote-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("kysod.json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try DaemonSettings(configuration: try DaemonConfiguration.load(path: path), socketPath: "/tmp/x.sock", stateDirectory: "/tmp",
                                  extraModules: [], noRegisteredModules: true, pollIntervalSeconds: nil)
    }

    static func refusal(_ service: String) -> String {
        do {
            _ = try settings(#"{"remoteServices": {"svc": {\#(service)}}}"#)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("the shipped example (MySign and SmartCA styles) is accepted as it stands")
    func example() throws {
        let text = try String(contentsOf: Lab.repositoryRoot.appendingPathComponent("config/remote-services.example.json"), encoding: .utf8)
        let services = try Self.settings(text).remoteServices
        #expect(services.map(\.name) == ["mysign", "smartca"])
        let smartca = try #require(services.last)
        #expect(smartca.version == .v2 && smartca.login == .password && smartca.holderApproves)
        #expect(smartca.methodPaths == ["signatures/signHash": "signature/signhash"])
        #expect(smartca.approvalTimeout == .seconds(180))
    }

    @Test("bad entries are refused with the key named", arguments: [
        (#""version": "2", "login": "basic", "username": "u""#, "remoteServices.svc.baseURL is missing"),
        (#""baseURL": "http://example.test/csc", "version": "2", "login": "basic", "username": "u""#, "remoteServices.svc.baseURL must be an https:// URL"),
        (#""baseURL": "https://example.test/csc", "version": "3", "login": "basic", "username": "u""#, "remoteServices.svc.version must be 1"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "token", "username": "u""#, "remoteServices.svc.login must be basic"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "clientCredentials""#, "remoteServices.svc.clientId is missing"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic""#, "remoteServices.svc.username is missing"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic", "username": "u", "caFile": "/nonexistent/ca.pem""#,
         "remoteServices.svc.caFile cannot be read"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic", "username": "u", "methodPaths": {"signatures/sign": "x"}"#,
         "remoteServices.svc.methodPaths names \"signatures/sign\""),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic", "username": "u", "methodPaths": {"info": "/abs"}"#,
         "remoteServices.svc.methodPaths maps info"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic", "username": "u", "approvalTimeoutSeconds": 0"#,
         "remoteServices.svc.approvalTimeoutSeconds must be between 1 and 600"),
        (#""baseURL": "https://example.test/csc", "version": "2", "login": "basic", "username": "u", "password": "x""#,
         "unknown key \"remoteServices.svc.password\""),
    ])
    func refused(entry: String, expected: String) {
        let answer = Self.refusal(entry)
        #expect(answer.contains(expected), "\(answer)")
    }

    @Test("kysod refuses to start on a bad service entry, naming the key")
    func kysodRefuses() async throws {
        let error = await #expect(throws: TestFailure.self) {
            _ = try await DaemonProcess(arguments: ["--no-registered-modules", "--no-pcsc"],
                                        configuration: #"{"remoteServices": {"mysign": {"version": "1", "login": "basic", "username": "u"}}}"#,
                                        readyTimeout: .seconds(10))
        }
        #expect("\(String(describing: error))".contains("remoteServices.mysign.baseURL is missing"))
    }
}
