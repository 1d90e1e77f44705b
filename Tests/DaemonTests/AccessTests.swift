import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Tests run as root; `setpriv` drops a client to another uid, as a real unprivileged caller.
@Suite("who may use the socket")
struct AccessTests {
    /// `curl` as uid/gid 65534 (nobody/nogroup) with no supplementary groups.
    func curlAsNobody(_ socket: String, _ path: String) throws -> (status: Int, body: String) {
        let text: String
        do {
            let output = try Shell.run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                   "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", socket, "http://localhost" + path])
            text = String(decoding: output, as: UTF8.self)
        } catch let failure as Shell.Failure {
            // curl exits non-zero when it cannot connect; it still printed the status code (000).
            text = failure.output
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("the socket is 0660: another uid outside its group cannot even connect")
    func fileModeGuards() async throws {
        let (daemon, _, _) = try await startDaemonOnLab()
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        // The socket's folder must be reachable for the test; the socket's own mode is what refuses.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.path)
        let (status, _) = try curlAsNobody(daemon.socketPath, "/v1/status")
        #expect(status == 0, "curl should fail to connect")
        try await daemon.stop()
    }

    @Test("a caller in the socket's group but without the read capability is refused by its kernel credentials")
    func peerCredentialsGuard() async throws {
        // Socket group nogroup (65534): nobody can connect; the policy (read: group kyso, default) still refuses.
        let (daemon, _, client) = try await startDaemonOnLab(configuration: #"{"group": "nogroup"}"#)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.path)
        let refused = try curlAsNobody(daemon.socketPath, "/v1/tokens")
        #expect(refused.status == 403)
        let problem = try APIJSON.decoder().decode(ProblemDetails.self, from: Data(refused.body.utf8))
        #expect(problem.code == "forbidden")
        #expect(problem.detail?.contains("uid 65534") == true)
        // root (admin by default) is served.
        #expect(try await client.request(.GET, "/v1/tokens").status == 200)
        try await daemon.stop()
    }

    @Test("granting read to a user lets that uid in")
    func grantedRead() async throws {
        let (daemon, _, _) = try await startDaemonOnLab(configuration: #"{"group": "nogroup", "access": {"read": {"users": ["nobody"]}}}"#)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.path)
        let answer = try curlAsNobody(daemon.socketPath, "/v1/tokens")
        #expect(answer.status == 200)
        let log = daemon.log()
        try await daemon.stop()
        #expect(!log.contains("123456"), "a PIN reached the log")
    }

    @Test("a configuration with an unknown key is refused at start, with the key named")
    func unknownConfigurationKey() async throws {
        await #expect(throws: TestFailure.self) {
            _ = try await DaemonProcess(arguments: ["--no-registered-modules", "--no-pcsc"], configuration: #"{"acess": {}}"#)
        }
    }
}
