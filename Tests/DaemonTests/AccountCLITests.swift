import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// The account commands of the real `kyso` binary against a kysod on a private SoftHSM lab copy: what they print,
/// their exit statuses, and that no PIN or secret reaches kysod's log.
@Suite("kyso account commands against kysod")
struct AccountCLITests {
    static let accessKey = "tak0abc123"
    static let password = "pw#2026x"

    /// A kysod on the lab, the two-certificate token (same holder, same tax code) and a folder for files.
    struct Fixture {
        let daemon: DaemonProcess
        let labDirectory: URL
        let token: LabManifest.Token
        let folder: URL

        var taxCode: String { token.certificates[0].taxCode ?? "" }

        /// Runs `kyso ARGUMENTS --socket …`.
        func kyso(_ arguments: [String], input: String? = nil, as user: String? = nil) throws -> KysoRun {
            try KysoRun.run(arguments + ["--socket", daemon.socketPath], input: input, as: user)
        }

        /// `kyso register declarant …` on one of the token's certificates, PIN on standard input.
        func register(_ userId: String, certificate: Int, out: String, pin: String? = nil, extra: [String] = []) throws -> KysoRun {
            try kyso(["register", "declarant", "--tax-code", taxCode, "--user-id", userId, "--terminal-id", "T00003",
                      "--certificate", token.certificates[certificate].sha256, "--pin-stdin",
                      "--out", folder.appendingPathComponent(out).path] + extra,
                     input: (pin ?? token.pin) + "\n")
        }

        func files(_ out: String) -> [String] {
            ["statement.json", "signature.der"].map { folder.appendingPathComponent(out).appendingPathComponent($0).path }
        }
    }

    static func start(configuration: String? = nil) async throws -> Fixture {
        let (daemon, manifest, _) = try await startDaemonOnLab(configuration: configuration)
        let token = try #require(manifest.tokens.first { $0.kind == "two-certs" && $0.certificates.count == 2 })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return Fixture(daemon: daemon, labDirectory: URL(fileURLWithPath: manifest.softhsm2Conf).deletingLastPathComponent(),
                       token: token, folder: folder)
    }

    @Test("register → bind with secrets on a file descriptor → bindings → secret → rebind → audit → unbind")
    func wholeFlow() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let userId = "KYSOC001"
        let challenge = fixture.folder.appendingPathComponent("challenge")
        try Data("portal challenge 42".utf8).write(to: challenge)

        let registered = try fixture.register(userId, certificate: 0, out: "first", extra: ["--challenge-file", challenge.path])
        #expect(registered.status == 0, "\(registered)")
        #expect(registered.stderr.contains("kyso bind"), "register should say what to do next: \(registered.stderr)")
        let statement = try Data(contentsOf: URL(fileURLWithPath: fixture.files("first")[0]))
        let statementText = String(decoding: statement, as: UTF8.self)
        #expect(statementText.contains(#""userId":"\#(userId)""#) && statementText.contains(#""terminalId":"T00003""#))
        #expect(statementText.contains(Data("portal challenge 42".utf8).base64EncodedString()))
        #expect(statementText.contains(fixture.token.certificates[0].sha256))
        // The CMS written to signature.der verifies over the registration context and statement.json, up to the lab's TEST root.
        let provider = fixture.token.provider ?? "vnpt"
        try OpenSSLCheck.cmsVerify(
            cms: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.files("first")[1]))), content: Array("kyso-registration-v1\0".utf8) + Array(statement),
            root: fixture.labDirectory.appendingPathComponent("pki/root.pem").path,
            intermediates: [fixture.labDirectory.appendingPathComponent("pki/\(provider)-ca.pem").path])

        let bound = try fixture.kyso(["bind"] + fixture.files("first") + ["--secrets-fd", "0"], input: "\(Self.accessKey)\n\(Self.password)\n")
        #expect(bound.status == 0, "\(bound)")
        #expect(bound.stdout.contains("bound declarant \(userId)") && bound.stdout.contains("stored: password, terminalAccessKey"), "\(bound.stdout)")

        let table = try fixture.kyso(["bindings"])
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("ACCOUNT") == true && lines.count == 2, "\(table.stdout)")
        #expect(lines.last.map { $0.hasPrefix(userId) && $0.contains(fixture.taxCode) && $0.contains("present") } == true, "\(table.stdout)")
        let listed = try APIJSON.decoder().decode(BindingListResponse.self, from: Data(try fixture.kyso(["bindings", "--json"]).stdout.utf8))
        #expect(listed.bindings.map(\.account) == [userId])
        #expect(listed.bindings.first?.certificate.sha256 == fixture.token.certificates[0].sha256)
        #expect(listed.bindings.first?.secrets.sorted() == ["password", "terminalAccessKey"])
        #expect(!table.stdout.contains(Self.accessKey.uppercased()) && !table.stdout.contains(Self.password), "bindings shows a secret")

        let key = try fixture.kyso(["secret", userId, "terminalAccessKey"])
        #expect(key.status == 0 && key.stdout == Self.accessKey.uppercased() + "\n", "\(key)")
        let password = try fixture.kyso(["secret", userId.lowercased(), "password"])
        #expect(password.status == 0 && password.stdout == Self.password + "\n", "\(password)")

        // The token's second certificate takes the binding over; the stored secrets stay with it.
        let renewed = try fixture.register(userId, certificate: 1, out: "second")
        #expect(renewed.status == 0, "\(renewed)")
        let moved = try fixture.kyso(["rebind", userId] + fixture.files("second"))
        #expect(moved.status == 0 && moved.stdout.hasPrefix("moved declarant \(userId)"), "\(moved)")
        let after = try APIJSON.decoder().decode(BindingListResponse.self, from: Data(try fixture.kyso(["bindings", "--json"]).stdout.utf8))
        #expect(after.bindings.first?.certificate.sha256 == fixture.token.certificates[1].sha256)
        #expect(try fixture.kyso(["secret", userId, "terminalAccessKey"]).stdout == Self.accessKey.uppercased() + "\n")

        let recent = try fixture.kyso(["audit", "--limit", "3"])
        #expect(recent.status == 0, "\(recent)")
        let rows = recent.stdout.split(separator: "\n")
        #expect(rows.count == 4 && rows.first?.hasPrefix("TIME") == true, "\(recent.stdout)")
        let audit = try APIJSON.decoder().decode(AuditResponse.self, from: Data(try fixture.kyso(["audit", "--json", "--limit", "100"]).stdout.utf8))
        for action in ["register", "bind", "rebind", "secret.reveal"] {
            #expect(audit.entries.contains { $0.action == action && $0.outcome == "success" && $0.executable?.hasSuffix("/kyso") == true },
                    "no successful \(action) by kyso in \(audit.entries.map { "\($0.action) \($0.outcome)" })")
        }

        let unbound = try fixture.kyso(["unbind", userId])
        #expect(unbound.status == 0 && unbound.stdout == "unbound \(userId)\n", "\(unbound)")
        let empty = try fixture.kyso(["bindings"])
        #expect(empty.status == 0 && empty.stdout.hasPrefix("No account is bound"), "\(empty)")
        let gone = try fixture.kyso(["secret", userId, "password"])
        #expect(gone.status == 1 && gone.stderr.contains("secret-not-stored"), "\(gone)")

        let log = fixture.daemon.log()
        try await fixture.daemon.stop()
        for secret in [fixture.token.pin, Self.accessKey, Self.accessKey.uppercased(), Self.password] {
            #expect(!log.contains(secret), "kysod's log contains a PIN or secret")
        }
        #expect(log.contains("binding created"), "kysod's log should record the binding (is the log being read?)")
    }

    @Test("refusals: clear messages, exit statuses 1, 64, 69 and 77, and nothing stored")
    func refusals() async throws {
        // nobody may read (its own uid) but not administer; the socket's group lets it connect.
        let fixture = try await Self.start(configuration: #"{"group": "nogroup", "access": {"read": {"users": ["nobody"]}}}"#)
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.daemon.directory.path)
        let userId = "KYSOD001"

        let badUserId = try fixture.register("KYSO", certificate: 0, out: "bad")
        #expect(badUserId.status == 1 && badUserId.stderr.contains("invalid-field") && badUserId.stderr.contains("userId"), "\(badUserId)")
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appendingPathComponent("bad").path), "a refused registration wrote files")
        let wrongPIN = try fixture.register(userId, certificate: 0, out: "wrong", pin: "000000")
        #expect(wrongPIN.status == 1 && wrongPIN.stderr.contains("pin-incorrect"), "\(wrongPIN)")
        let noPIN = try fixture.kyso(["register", "declarant", "--tax-code", fixture.taxCode, "--user-id", userId, "--terminal-id", "T00003",
                                      "--certificate", fixture.token.certificates[0].sha256])
        #expect(noPIN.status == 64 && noPIN.stderr.contains("--pin-stdin"), "without a terminal the PIN must come from a descriptor: \(noPIN)")

        let registered = try fixture.register(userId, certificate: 0, out: "first")
        #expect(registered.status == 0, "\(registered)")
        // A statement changed after signing no longer matches its signature.
        let tampered = fixture.folder.appendingPathComponent("tampered.json")
        let original = try String(contentsOfFile: fixture.files("first")[0], encoding: .utf8)
        try original.replacingOccurrences(of: "T00003", with: "T00004").write(to: tampered, atomically: true, encoding: .utf8)
        let forged = try fixture.kyso(["bind", tampered.path, fixture.files("first")[1]])
        #expect(forged.status == 1 && forged.stderr.contains("signature-invalid"), "\(forged)")
        let badKey = try fixture.kyso(["bind"] + fixture.files("first") + ["--secrets-fd", "0"], input: "not a key!\n")
        #expect(badKey.status == 1 && badKey.stderr.contains("terminalAccessKey"), "\(badKey)")
        #expect(!badKey.stderr.contains("not a key!"), "the refusal repeats the secret")
        let listed = try APIJSON.decoder().decode(BindingListResponse.self, from: Data(try fixture.kyso(["bindings", "--json"]).stdout.utf8))
        #expect(listed.bindings.isEmpty, "a refused binding was stored")

        #expect(try fixture.kyso(["bind"] + fixture.files("first")).status == 0)
        let again = try fixture.kyso(["bind"] + fixture.files("first"))
        #expect(again.status == 1 && (again.stderr.contains("already-bound") || again.stderr.contains("duplicate-binding")), "\(again)")
        let same = try fixture.kyso(["rebind", userId] + fixture.files("first"))
        #expect(same.status == 1 && same.stderr.contains("same-certificate"), "\(same)")
        let notBound = try fixture.kyso(["unbind", "KYSOZ999"])
        #expect(notBound.status == 1 && notBound.stderr.contains("not-bound"), "\(notBound)")

        // Usage errors: caught before kysod is asked.
        #expect(try fixture.kyso(["audit", "--limit", "0"]).status == 64)
        #expect(try fixture.kyso(["bind"] + fixture.files("first") + ["--secrets-fd", "0", "--ask-secrets"]).status == 64)
        #expect(try fixture.kyso(["unbind", "../status"]).status == 64)
        #expect(try fixture.kyso(["secret", userId, "pin"]).status == 64)

        // Capabilities: nobody reads bindings but may not see the audit, reveal a secret or unbind.
        let readable = try fixture.kyso(["bindings"], as: "nobody")
        #expect(readable.status == 0 && readable.stdout.contains(userId), "\(readable)")
        for arguments in [["audit"], ["secret", userId, "password"], ["unbind", userId]] {
            let refused = try fixture.kyso(arguments, as: "nobody")
            #expect(refused.status == 77 && refused.stderr.contains("forbidden"), "\(arguments): \(refused)")
        }
        #expect(try fixture.kyso(["bindings", "--json"]).stdout.contains(userId), "a refused unbind removed the binding")

        let log = fixture.daemon.log()
        try await fixture.daemon.stop()
        #expect(!log.contains(fixture.token.pin) && !log.contains("not a key!"), "kysod's log contains a PIN or secret")

        let noDaemon = try KysoRun.run(["bindings", "--socket", fixture.folder.appendingPathComponent("none.sock").path])
        #expect(noDaemon.status == 69 && noDaemon.stderr.contains("kysod is not running"), "\(noDaemon)")
    }
}

/// One run of the `kyso` binary this build made.
struct KysoRun: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }

    /// Runs kyso with `input` on standard input (closed after it), optionally as another user through setpriv, with
    /// `environment` over the test's own (an empty value unsets a variable for kyso's language choice).
    static func run(_ arguments: [String], input: String? = nil, as user: String? = nil,
                    environment extra: [String: String] = [:]) throws -> KysoRun {
        let kyso = Lab.productsDirectory.appendingPathComponent("kyso").path
        let process = Process()
        if user != nil {
            // nobody: uid and gid 65534, no supplementary groups.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kyso] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: kyso)
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "KYSO_SOCKET")
        process.environment = environment.merging(extra) { $1 }
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read standard error on its own thread so neither pipe can fill up and block the child.
        let errors = ErrorBuffer()
        let reader = Thread { errors.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return KysoRun(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                       stderr: String(decoding: errors.wait(), as: UTF8.self))
    }
}

private final class ErrorBuffer: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.withLock {
            data = value
            condition.signal()
        }
    }

    func wait() -> Data {
        condition.withLock {
            while data == nil { condition.wait() }
            return data ?? Data()
        }
    }
}
