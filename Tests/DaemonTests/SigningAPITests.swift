import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Signatures made through kysod on the SoftHSM lab, each checked by the `openssl` command.
@Suite("signing through kysod")
struct SigningAPITests {
    static let message = Array("Đăng ký tài khoản khai hải quan — Kyso".utf8)

    struct Fixture {
        let daemon: DaemonProcess
        let manifest: LabManifest
        let client: KysoClient
        let labDirectory: URL

        func token(_ label: String) async throws -> TokenInfoResponse {
            try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == label })
        }

        func sign(_ tokenId: String, _ request: SignRequest) async throws -> KysoClient.Response {
            try await client.request(.POST, "/v1/tokens/\(tokenId)/sign", body: Array(try APIJSON.encoder().encode(request)))
        }
    }

    static func start(configuration: String? = nil) async throws -> Fixture {
        let lab = try await LabDaemon.start(configuration: configuration, pollInterval: "2")
        return Fixture(daemon: lab.daemon, manifest: lab.manifest, client: lab.client, labDirectory: lab.directory)
    }

    @Test("raw signatures for every mechanism, from data and from a digest, verify with openssl pkeyutl",
          arguments: [("kyso-vnpt", "rsa-pkcs1-sha256"), ("kyso-vnpt", "rsa-pss-sha256"), ("kyso-ec-p256", "ecdsa-sha256")])
    func raw(label: String, mechanism: String) async throws {
        let fixture = try await Self.start()
        let token = try await fixture.token(label)
        let certificate = try #require(token.certificates.first)
        let digest = Data(OpenSSLCheck.sha256(Self.message))
        for request in [SignRequest(data: Data(Self.message), mechanism: SignatureMechanism(rawValue: mechanism), pin: "123456"),
                        SignRequest(digest: digest, mechanism: SignatureMechanism(rawValue: mechanism), pin: "123456")] {
            let response = try await fixture.sign(token.id, request)
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            let signed = try response.decode(SignResponse.self)
            #expect(signed.certificate == certificate.sha256)
            #expect(signed.pin.state == .ok)
            try OpenSSLCheck.pkeyutlVerify(signature: Array(signed.signature), digest: Array(digest), certificate: Array(certificate.der),
                                           pss: mechanism == "rsa-pss-sha256")
        }
        let log = fixture.daemon.log()
        try await fixture.daemon.stop()
        #expect(!log.contains("123456"), "the PIN reached the log")
    }

    @Test("CMS output (RSA and ECDSA) verifies with openssl cms -verify up to the lab's TEST root",
          arguments: [("kyso-viettel", "rsa-pkcs1-sha256"), ("kyso-ec-p256", "ecdsa-sha256")])
    func cms(label: String, mechanism: String) async throws {
        let fixture = try await Self.start()
        let token = try await fixture.token(label)
        let response = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), mechanism: SignatureMechanism(rawValue: mechanism), output: .cms, pin: "123456"))
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let signed = try response.decode(SignResponse.self)
        let pki = fixture.labDirectory.appendingPathComponent("pki")
        let intermediates = try FileManager.default.contentsOfDirectory(atPath: pki.path)
            .filter { $0.hasSuffix("-ca.pem") }.map { pki.appendingPathComponent($0).path }
        try OpenSSLCheck.cmsVerify(cms: Array(signed.signature), content: Self.message,
                                   root: pki.appendingPathComponent("root.pem").path, intermediates: intermediates)
        try await fixture.daemon.stop()
    }

    @Test("the token with two keys needs the certificate named, then signs with that key")
    func choosesKeyByCertificate() async throws {
        let fixture = try await Self.start()
        let token = try await fixture.token("kyso-two-certs")
        let unnamed = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), pin: "123456"))
        #expect(unnamed.status == 400)
        for certificate in token.certificates {
            let response = try await fixture.sign(token.id, SignRequest(certificate: certificate.sha256, data: Data(Self.message), pin: "123456"))
            let signed = try response.decode(SignResponse.self)
            #expect(signed.certificate == certificate.sha256)
            try OpenSSLCheck.pkeyutlVerify(signature: Array(signed.signature), digest: OpenSSLCheck.sha256(Self.message),
                                           certificate: Array(certificate.der), pss: false)
        }
        try await fixture.daemon.stop()
    }

    @Test("bad input gets a clear error and signs nothing")
    func badInput() async throws {
        let fixture = try await Self.start()
        let token = try await fixture.token("kyso-vnpt")
        let cases: [(String, Int, String)] = [
            (#"{"data": "%%%not base64", "pin": "123456"}"#, 400, "bad-request"),
            (#"{"data": "aGVsbG8=", "mechanism": "rsa-md5", "pin": "123456"}"#, 400, "unknown-mechanism"),
            (#"{"data": "aGVsbG8=", "mechanism": "ecdsa-sha256", "pin": "123456"}"#, 400, "bad-request"),
            (#"{"digest": "aGVsbG8=", "pin": "123456"}"#, 400, "bad-request"),
            (#"{"data": "aGVsbG8=", "digest": "aGVsbG8=", "pin": "123456"}"#, 400, "bad-request"),
            (#"{"data": "aGVsbG8="}"#, 401, "pin-required"),
            (#"{"data": "aGVsbG8=", "certificate": "00", "pin": "123456"}"#, 404, "certificate-not-found"),
            (#"[1, 2, 3]"#, 400, "bad-request"),
        ]
        for (body, status, code) in cases {
            let response = try await fixture.client.request(.POST, "/v1/tokens/\(token.id)/sign", body: Array(body.utf8))
            #expect(response.status == status, "\(body)")
            let problem = try APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body))
            #expect(problem.code == code, "\(body): \(problem)")
        }
        let missing = try await fixture.client.request(.POST, "/v1/tokens/0000000000000000/sign", body: Array(#"{"data": "aGVsbG8=", "pin": "1"}"#.utf8))
        #expect(missing.status == 404)
        let get = try await fixture.client.request(.GET, "/v1/tokens/\(token.id)/sign")
        #expect(get.status == 405)
        try await fixture.daemon.stop()
    }

    @Test("a wrong PIN is refused once, never retried, and the token's PIN state is published")
    func wrongPIN() async throws {
        let fixture = try await Self.start()
        let token = try await fixture.token("kyso-fpt")
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await events.next()  // snapshot
        let response = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), pin: "999999"))
        #expect(response.status == 401)
        #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code == "pin-incorrect")
        // SoftHSM marks the count low after one wrong PIN; the event carries the new state.
        let changed = try #require(try await events.next())
        #expect(changed.event == "token.changed")
        let event = try APIJSON.decoder().decode(DaemonEvent.self, from: Data(changed.data.utf8))
        #expect(event.data.token?.pin.state == .countLow)
        // One login attempt, as the daemon's log records: Kyso did not try again.
        let log = fixture.daemon.log()
        #expect(!log.contains("999999"))
        // The right PIN still works (and says tries are low).
        let good = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), pin: "123456")).decode(SignResponse.self)
        #expect(good.warning != nil)
        try await fixture.daemon.stop()
    }

    @Test("the login cache saves retyping the PIN until it expires, logout or SIGHUP")
    func loginCache() async throws {
        let fixture = try await Self.start(configuration: #"{"loginCacheSeconds": 60}"#)
        let token = try await fixture.token("kyso-bkav")
        let first = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), pin: "123456")).decode(SignResponse.self)
        #expect(!first.cachedLogin)
        let second = try await fixture.sign(token.id, SignRequest(data: Data(Self.message))).decode(SignResponse.self)
        #expect(second.cachedLogin)
        #expect(try await fixture.client.request(.POST, "/v1/tokens/\(token.id)/logout").status == 204)
        #expect(try await fixture.sign(token.id, SignRequest(data: Data(Self.message))).status == 401)
        _ = try await fixture.sign(token.id, SignRequest(data: Data(Self.message), pin: "123456")).decode(SignResponse.self)
        kill(fixture.daemon.pid, SIGHUP)
        var dropped = false
        for _ in 0..<50 where !dropped {
            dropped = try await fixture.sign(token.id, SignRequest(data: Data(Self.message))).status == 401
            if !dropped { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(dropped)
        try await fixture.daemon.stop()
    }

    @Test("signing needs the sign capability: a reader is refused before any PIN is used")
    func signCapability() async throws {
        let fixture = try await Self.start(configuration: #"{"group": "nogroup", "access": {"read": {"users": ["nobody"]}}}"#)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.daemon.directory.path)
        let token = try await fixture.token("kyso-vnpt")
        let body = #"{"data": "aGVsbG8=", "pin": "123456"}"#
        let output = try Shell.run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-w", "\n%{http_code}",
                                               "--unix-socket", fixture.daemon.socketPath, "-X", "POST", "-d", body,
                                               "http://localhost/v1/tokens/\(token.id)/sign"])
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasSuffix("403"))
        #expect(text.contains("forbidden"))
        try await fixture.daemon.stop()
    }
}

/// Independent checks with the `openssl` command.
enum OpenSSLCheck {
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-sha-\(UUID().uuidString)")
        try? Data(data).write(to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = (try? Shell.run("openssl", ["dgst", "-sha256", "-binary", folder.path])) ?? Data()
        return Array(output)
    }

    static func pkeyutlVerify(signature: [UInt8], digest: [UInt8], certificate: [UInt8], pss: Bool) throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(certificate).write(to: folder.appendingPathComponent("cert.der"))
        try Data(signature).write(to: folder.appendingPathComponent("sig"))
        try Data(digest).write(to: folder.appendingPathComponent("digest"))
        let publicKey = try Shell.run("openssl", ["x509", "-inform", "DER", "-in", folder.appendingPathComponent("cert.der").path, "-pubkey", "-noout"])
        try publicKey.write(to: folder.appendingPathComponent("pub.pem"))
        var arguments = ["pkeyutl", "-verify", "-pubin", "-inkey", folder.appendingPathComponent("pub.pem").path,
                         "-sigfile", folder.appendingPathComponent("sig").path, "-in", folder.appendingPathComponent("digest").path,
                         "-pkeyopt", "digest:sha256"]
        if pss { arguments += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"] }
        let output = String(decoding: try Shell.run("openssl", arguments), as: UTF8.self)
        #expect(output.contains("Signature Verified Successfully"))
    }

    static func cmsVerify(cms: [UInt8], content: [UInt8], root: String, intermediates: [String]) throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(cms).write(to: folder.appendingPathComponent("sig.p7s"))
        try Data(content).write(to: folder.appendingPathComponent("content"))
        // OpenSSL 3.0's cms has no -untrusted (its -certfile only finds signers), so the store holds root and CAs.
        let bundle = try ([root] + intermediates).map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        try bundle.write(to: folder.appendingPathComponent("store.pem"), atomically: true, encoding: .utf8)
        // -purpose any: lab certificates carry clientAuth/emailProtection; this checks the signature and the chain.
        _ = try Shell.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", folder.appendingPathComponent("sig.p7s").path,
                                      "-content", folder.appendingPathComponent("content").path,
                                      "-CAfile", folder.appendingPathComponent("store.pem").path, "-purpose", "any", "-out", "/dev/null"])
    }

    private static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
