import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Remote credentials end to end over kysod's socket: the CSC test service on loopback with TLS from its TEST CA,
/// kysod configured with it, the password set through the admin API and sealed.
@Suite("remote credentials through kysod")
struct RemoteDaemonTests {
    @Test("credentials are tokens of kind remote, profiled like the same certificate on the lab's hardware token")
    func listAndProfile() async throws {
        let service = try await CSCTestService()
        let (lab, _) = try await Lab.copy()
        var options = RemoteDaemon.Options()
        options.arguments = ["--module", Lab.softHSMModule]
        options.environment = ["SOFTHSM2_CONF": lab.appendingPathComponent("softhsm2.conf").path]
        let remote = try await RemoteDaemon(service: service, options: options, setPassword: nil)
        // No secret yet: the service is named, its state says what to do, and it shows no credential.
        let missing = try await remote.waitFor(.secretMissing)
        #expect(missing.error?.contains("kyso remote secret lab password") == true, "\(missing)")
        #expect(try await remote.tokens().allSatisfy { $0.kind == .pkcs11 })
        var events = remote.client.events().makeAsyncIterator()
        _ = try await events.next()  // the snapshot
        try await remote.setPassword(CSCTestService.password)
        var inserted: [TokenInfoResponse] = []
        while inserted.count < 2 {
            let event = try await remote.daemon.nextEvent(&events, [EventType.tokenInserted.rawValue])
            if let token = event.data.token, token.kind == .remote { inserted.append(token) }
        }
        let status = try await remote.waitFor(.available)
        #expect(status.credentialCount == 2 && status.provider == "Kyso TEST CSC" && status.error == nil)
        let tokens = try await remote.tokens()
        for label in ["kyso-vnpt", "kyso-ec-p256"] {
            let credential = try await remote.token(serving: label)
            let hardware = try #require(tokens.first { $0.kind == .pkcs11 && $0.label == label })
            let onToken = try #require(hardware.certificates.first)
            let remoteCertificate = try #require(credential.certificates.first)
            #expect(credential.remote?.service == "lab" && credential.remote?.provider == "Kyso TEST CSC")
            #expect(credential.remote?.authorisation == [.pin])
            #expect(credential.remote?.chain.isEmpty == false, "the chain up from the end entity")
            #expect(credential.id.hasPrefix("remote-") && inserted.contains { $0.id == credential.id })
            #expect(remoteCertificate.sha256 == onToken.sha256 && remoteCertificate.der == onToken.der)
            // The same profile (tax code, CA, validity, warnings), but for when each was evaluated.
            var profile = remoteCertificate.profile
            profile.evaluatedAt = onToken.profile.evaluatedAt
            #expect(profile == onToken.profile)
            #expect(profile.taxCode != nil && remoteCertificate.privateKeyOnToken)
        }
        // `kyso tokens` shows them beside the hardware tokens: the narrow table marks them remote, --wide has the id.
        let listed = try KysoCLI.run(["tokens"], socket: remote.daemon.socketPath)
        #expect(listed.status == 0)
        let text = String(decoding: listed.stdout, as: UTF8.self)
        #expect(text.contains("[remote] "), "\(text)")
        let wide = String(decoding: try KysoCLI.run(["tokens", "--wide"], socket: remote.daemon.socketPath).stdout, as: UTF8.self)
        #expect(wide.contains("Kyso TEST CSC") && wide.contains("remote-"), "\(wide)")
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("raw and CMS signatures, RSA and ECDSA, v1 and v2, verified with openssl; PIN never logged",
          arguments: ["1", "2"])
    func signatures(version: String) async throws {
        let service = try await CSCTestService()
        var options = RemoteDaemon.Options()
        options.version = version
        let remote = try await RemoteDaemon(service: service, options: options)
        for label in ["kyso-vnpt", "kyso-ec-p256"] {
            let token = try await remote.token(serving: label)
            let content = Array("tờ khai hải quan \(label) v\(version)".utf8)
            let digest = try OpenSSL.sha256(content)
            let raw = try await remote.sign(token, digest: digest)
            #expect(raw.status == 200, "\(raw.text)")
            let signed = try raw.decode(SignResponse.self)
            let der = try #require(token.certificates.first?.der)
            #expect(try OpenSSLDigestCheck.verify(signature: Array(signed.signature), digest: digest, certificate: Array(der)))
            let cms = try await remote.sign(token, digest: digest, output: .cms)
            #expect(cms.status == 200, "\(cms.text)")
            try OpenSSL.cmsVerify(cms: Array(try cms.decode(SignResponse.self).signature), content: content, lab: service.lab)
        }
        // Four signatures asked, four signHash calls, each hash signed once.
        let stats = try service.stats()
        #expect(stats.signHashCalls == 4 && stats.signaturesMade == 4 && stats.signed.values.allSatisfy { $0 == 1 })
        // The audit names each signature.
        let audit = try await remote.client.request(.GET, "/v1/audit?limit=20").decode(AuditResponse.self)
        #expect(audit.entries.filter { $0.action == "sign" && $0.outcome == "success" }.count == 4)
        #expect(audit.entries.contains { $0.action == "remote-secret.store" && $0.outcome == "success" })
        let log = remote.daemon.log()
        #expect(!log.contains(CSCTestService.pin) && !log.contains(CSCTestService.password))
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("kyso sign and kyso register with a remote credential write CMS signatures that openssl verifies")
    func kysoSign() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"])
        let remote = try await RemoteDaemon(service: service)
        let token = try await remote.token(serving: "kyso-vnpt")
        let folder = try OpenSSL.scratch()
        let file = folder.appendingPathComponent("declaration.xml")
        try Data("<ToKhai>1</ToKhai>".utf8).write(to: file)
        let out = folder.appendingPathComponent("declaration.p7s")
        let run = try KysoCLI.run(["sign", token.id, file.path, "--cms", "--out", out.path, "--pin-stdin"],
                                  socket: remote.daemon.socketPath, input: CSCTestService.pin + "\n")
        #expect(run.status == 0, "\(run.stderr)")
        try OpenSSL.cmsVerify(cms: Array(try Data(contentsOf: out)), content: Array(try Data(contentsOf: file)), lab: service.lab)
        // kyso register on the remote credential's certificate writes the statement and its signature.
        let taxCode = try #require(token.certificates.first?.profile.taxCode?.value)
        let registration = folder.appendingPathComponent("registration")
        let registered = try KysoCLI.run(["register", "declarant", "--tax-code", taxCode, "--user-id", "REMOT002", "--terminal-id", "T00003",
                                          "--certificate", token.certificates.first?.sha256 ?? "", "--pin-stdin", "--out", registration.path],
                                         socket: remote.daemon.socketPath, input: CSCTestService.pin + "\n")
        #expect(registered.status == 0, "\(registered.stderr)")
        let statement = try Data(contentsOf: registration.appendingPathComponent("statement.json"))
        try OpenSSL.cmsVerify(cms: Array(try Data(contentsOf: registration.appendingPathComponent("signature.der"))),
                              content: Array("kyso-registration-v1\0".utf8) + Array(statement), lab: service.lab)
        #expect(try service.stats().signHashCalls == 2)
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("register and bind a customs account with a remote credential")
    func registerAndBind() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"])
        let remote = try await RemoteDaemon(service: service)
        let token = try await remote.token(serving: "kyso-vnpt")
        let certificate = try #require(token.certificates.first)
        let taxCode = try #require(certificate.profile.taxCode?.value)
        let registered = try await remote.client.request(.POST, "/v1/registrations", body: Array(try APIJSON.encoder().encode(RegistrationRequest(
            role: .declarant, taxCode: taxCode, userId: "REMOT001", terminalId: "TERM09", challenge: Data("portal-42".utf8),
            certificate: certificate.sha256, pin: SecretBytes(CSCTestService.pin)))))
        #expect(registered.status == 200, "\(registered.text)")
        let registration = try registered.decode(RegistrationResponse.self)
        #expect(registration.tokenId == token.id)
        try OpenSSL.cmsVerify(cms: Array(registration.signature), content: Array("kyso-registration-v1\0".utf8) + Array(registration.statement),
                              lab: service.lab)
        let bound = try await remote.client.request(.POST, "/v1/bindings", body: Array(try APIJSON.encoder().encode(BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: "k3y0f16charsAbcd", password: "pw123456"))))
        #expect(bound.status == 201, "\(bound.text)")
        let shown = try await remote.client.request(.GET, "/v1/tokens/\(token.id)").decode(TokenInfoResponse.self)
        #expect(shown.certificates.first?.accounts?.map(\.account) == ["REMOT001"])
        // A remote key cannot decrypt: the secrets were sealed with the host key, and open.
        let secret = try await remote.client.request(.GET, "/v1/bindings/REMOT001/secrets/terminalAccessKey").decode(SecretResponse.self)
        #expect(secret.value == "K3Y0F16CHARSABCD")
        #expect(try service.stats().signHashCalls == 1)
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("renewal: a binding moves to the holder's other remote credential")
    func renewal() async throws {
        let service = try await CSCTestService(tokens: ["kyso-two-certs"])
        let remote = try await RemoteDaemon(service: service)
        try await remote.waitFor(.available)
        let credentials = try await remote.tokens().filter { $0.kind == .remote }.compactMap { token in token.certificates.first.map { (token, $0) } }
        try #require(credentials.count == 2)
        let taxCode = try #require(credentials[0].1.profile.taxCode?.value)
        func register(_ certificate: TokenCertificate) async throws -> RegistrationResponse {
            let answer = try await remote.checked(.POST, "/v1/registrations", "/v1/registrations", body: Array(try APIJSON.encoder().encode(RegistrationRequest(
                role: .declarant, taxCode: taxCode, userId: "REMOT003", terminalId: "TERM03", certificate: certificate.sha256,
                pin: SecretBytes(CSCTestService.pin)))))
            #expect(answer.status == 200, "\(answer.text)")
            return try answer.decode(RegistrationResponse.self)
        }
        let first = try await register(credentials[0].1)
        let bound = try await remote.checked(.POST, "/v1/bindings", "/v1/bindings", body: Array(try APIJSON.encoder().encode(
            BindingCreateRequest(statement: first.statement, signature: first.signature))))
        #expect(bound.status == 201, "\(bound.text)")
        let second = try await register(credentials[1].1)
        let moved = try await remote.checked(.PUT, "/v1/bindings/REMOT003", "/v1/bindings/{account}", body: Array(try APIJSON.encoder().encode(
            BindingCreateRequest(statement: second.statement, signature: second.signature))))
        #expect(moved.status == 200, "\(moved.text)")
        let info = try moved.decode(BindingInfo.self)
        #expect(info.certificate.sha256 == credentials[1].1.sha256)
        #expect(try service.stats().signHashCalls == 2)
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("approval on the phone: announced, granted, refused, timed out; each signature asked once")
    func approval() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"], arguments: ["--approval", "grant", "--approval-delay-ms", "400"])
        var options = RemoteDaemon.Options()
        options.holderApproves = true
        options.approvalTimeoutSeconds = 3
        let remote = try await RemoteDaemon(service: service, options: options)
        let token = try await remote.token(serving: "kyso-vnpt")
        #expect(token.remote?.authorisation == [.pin, .approval])
        var events = remote.client.events().makeAsyncIterator()
        _ = try await events.next()
        let digest = try OpenSSL.sha256(Array("approve me".utf8))
        async let granted = remote.sign(token, digest: digest)
        let waiting = try await remote.daemon.nextEvent(&events, [EventType.signatureAwaitingApproval.rawValue])
        let json = String(decoding: try APIJSON.encoder().encode(waiting), as: UTF8.self)
        let schema = try Contract.event(json)
        #expect(schema.ok, "\(schema.output)")
        #expect(waiting.data.tokenId == token.id && waiting.data.certificate == token.certificates.first?.sha256)
        // The deadline is the approval timeout (3 s) after the announcement (both in whole seconds on the wire).
        let ahead = try #require(waiting.data.deadline).timeIntervalSince(waiting.time)
        #expect(ahead >= 1 && ahead <= 4, "\(ahead)")
        let answer = try await granted
        #expect(answer.status == 200, "\(answer.text)")
        // kyso sign tells the holder to approve on the phone while kysod waits.
        let folder = try OpenSSL.scratch()
        let file = folder.appendingPathComponent("declaration.xml")
        try Data("<ToKhai>2</ToKhai>".utf8).write(to: file)
        let cli = try KysoCLI.run(["sign", token.id, file.path, "--out", folder.appendingPathComponent("sig").path, "--pin-stdin"],
                                  socket: remote.daemon.socketPath, input: CSCTestService.pin + "\n")
        #expect(cli.status == 0 && cli.stderr.contains("approve the signature on your phone"), "\(cli.stderr)")

        try service.control("behaviour", #"{"approval": "refuse"}"#)
        let refused = try await remote.sign(token, digest: try OpenSSL.sha256(Array("refuse me".utf8)))
        #expect(refused.status == 403 && refused.problemCode == ProblemCode.approvalRefused.rawValue, "\(refused.text)")

        try service.control("behaviour", #"{"approval": "never"}"#)
        let started = ContinuousClock.now
        let timedOut = try await remote.sign(token, digest: try OpenSSL.sha256(Array("ignore me".utf8)))
        #expect(timedOut.status == 504 && timedOut.problemCode == ProblemCode.approvalTimedOut.rawValue, "\(timedOut.text)")
        // Bounded by the 3 s deadline plus the service's answers (slow on a loaded machine), not by the service's own 8 s.
        #expect(ContinuousClock.now - started < .seconds(30))
        let stats = try service.stats()
        #expect(stats.signHashCalls == 4 && stats.signaturesMade == 2, "\(stats.calls)")
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("a wrong PIN, an OTP sent and checked, a wrong OTP")
    func pinAndOTP() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"], arguments: ["--otp", "true"])
        let remote = try await RemoteDaemon(service: service)
        let token = try await remote.token(serving: "kyso-vnpt")
        #expect(token.remote?.authorisation == [.pin, .otp])
        let digest = try OpenSSL.sha256(Array("otp".utf8))
        let noOTP = try await remote.sign(token, digest: digest)
        #expect(noOTP.status == 401 && noOTP.problemCode == ProblemCode.otpRequired.rawValue, "\(noOTP.text)")
        #expect(try await remote.sendOTP(token).status == 204)
        let otp = try service.otp(for: token.remote?.credentialId ?? "")
        let wrongPIN = try await remote.sign(token, digest: digest, pin: "999999", otp: otp)
        #expect(wrongPIN.status == 401 && wrongPIN.problemCode == ProblemCode.pinIncorrect.rawValue, "\(wrongPIN.text)")
        #expect(try await remote.sendOTP(token).status == 204)
        let wrongOTP = try await remote.sign(token, digest: digest, otp: "000000")
        #expect(wrongOTP.status == 401 && wrongOTP.problemCode == ProblemCode.pinIncorrect.rawValue, "\(wrongOTP.text)")
        #expect(try await remote.sendOTP(token).status == 204)
        let good = try await remote.sign(token, digest: digest, otp: try service.otp(for: token.remote?.credentialId ?? ""))
        #expect(good.status == 200, "\(good.text)")
        #expect(try service.stats().signHashCalls == 1)
        let log = remote.daemon.log()
        #expect(!log.contains(otp) && !log.contains(CSCTestService.pin))
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("an expired SAD is a clear failure and nothing is signed")
    func sadExpired() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"])
        let remote = try await RemoteDaemon(service: service)
        let token = try await remote.token(serving: "kyso-vnpt")
        // Expired by the service: the SAD lives 1 s, and signHash reaches it 1.5 s later.
        try service.control("behaviour", #"{"sadLifetime": 1, "delayMs": {"signatures/signHash": 1500}}"#)
        let answer = try await remote.sign(token, digest: try OpenSSL.sha256(Array("late".utf8)))
        #expect(answer.problemCode == ProblemCode.tokenTimeout.rawValue && answer.text.contains("sign again"), "\(answer.text)")
        #expect(try service.stats().calls["signatures/signHash"] == 1)
        // Already over when it came back: refused before any signHash.
        try service.control("behaviour", #"{"sadLifetime": 0, "delayMs": {"signatures/signHash": 0}}"#)
        let local = try await remote.sign(token, digest: try OpenSSL.sha256(Array("later".utf8)))
        #expect(local.problemCode == ProblemCode.tokenTimeout.rawValue, "\(local.text)")
        let stats = try service.stats()
        #expect(stats.calls["signatures/signHash"] == 1 && stats.signaturesMade == 0, "\(stats.calls)")
        try await service.stop()
        try await remote.daemon.stop()
    }

    @Test("a service down or refusing the login shows no credential, and status says why")
    func serviceDownAndLoginRejected() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"])
        let remote = try await RemoteDaemon(service: service, setPassword: "not-the-password")
        let rejected = try await remote.waitFor(.loginRejected)
        #expect(rejected.error?.contains("refused Kyso's login") == true && rejected.credentialCount == 0)
        #expect(try await remote.tokens().isEmpty)
        // The administrator sets the right one with kyso, from standard input (never argv), and reads it back.
        let set = try KysoCLI.run(["remote", "secret", "lab", "password", "--stdin"], socket: remote.daemon.socketPath,
                                  input: CSCTestService.password + "\n")
        #expect(set.status == 0 && set.stderr.contains("stored sealed"), "\(set.stderr)")
        let token = try await remote.token(serving: "kyso-vnpt")
        let shown = try KysoCLI.run(["remote", "secret", "lab", "password", "--reveal"], socket: remote.daemon.socketPath)
        #expect(String(decoding: shown.stdout, as: UTF8.self) == CSCTestService.password + "\n")
        let audit = try await remote.client.request(.GET, "/v1/audit?limit=20").decode(AuditResponse.self).entries
        #expect(audit.filter { $0.action == "remote-secret.store" }.count == 2 && audit.contains { $0.action == "remote-secret.reveal" })
        #expect(!audit.contains { ($0.detail ?? "").contains(CSCTestService.password) })
        var events = remote.client.events().makeAsyncIterator()
        _ = try await events.next()
        try await service.stop()
        let removed = try await remote.daemon.nextEvent(&events, [EventType.tokenRemoved.rawValue])
        #expect(removed.data.tokenId == token.id)
        let down = try await remote.waitFor(.unreachable)
        #expect(down.error?.contains("does not answer") == true, "\(down)")
        // kyso doctor says so in plain words, and fails.
        let doctor = try KysoCLI.run(["doctor", "--no-registered-modules"], socket: remote.daemon.socketPath)
        let report = String(decoding: doctor.stdout, as: UTF8.self)
        #expect(doctor.status == 1 && report.contains("remote signing service lab (Kyso TEST CSC"), "\(report)")
        #expect(report.contains("cannot be reached") && report.contains("remote-signing.conf"), "\(report)")
        let answer = try await remote.sign(token, digest: try OpenSSL.sha256(Array("down".utf8)))
        #expect(answer.status == 404 && answer.problemCode == ProblemCode.tokenNotFound.rawValue, "\(answer.text)")
        try await remote.daemon.stop()
    }

    @Test("kysod stopped while a signature waits for approval: it stops at once, and the new kysod sends nothing again")
    func restartWhileWaiting() async throws {
        let service = try await CSCTestService(tokens: ["kyso-vnpt"], arguments: ["--approval", "manual"])
        var options = RemoteDaemon.Options()
        options.holderApproves = true
        options.approvalTimeoutSeconds = 60
        let first = try await RemoteDaemon(service: service, options: options)
        let token = try await first.token(serving: "kyso-vnpt")
        var events = first.client.events().makeAsyncIterator()
        _ = try await events.next()
        let pending = Task { try await first.sign(token, digest: try OpenSSL.sha256(Array("waiting".utf8))) }
        _ = try await first.daemon.nextEvent(&events, [EventType.signatureAwaitingApproval.rawValue])
        let stopping = ContinuousClock.now
        #expect(try await first.daemon.stop() == 0)
        #expect(ContinuousClock.now - stopping < .seconds(25), "a waiting approval (60 s) held kysod's stop")
        let answer = try? await pending.value
        #expect(answer == nil || answer?.problemCode == ProblemCode.shuttingDown.rawValue, "\(answer?.text ?? "")")
        // The holder approves late: the service signs its one request; the new kysod asks nothing of it.
        options.arguments = ["--state-dir", first.daemon.directory.appendingPathComponent("state").path]
        let second = try await RemoteDaemon(service: service, options: options, setPassword: nil)
        _ = try await second.token(serving: "kyso-vnpt")
        try service.control("approve", #"{"decision": "grant"}"#)
        try await Task.sleep(for: .milliseconds(500))
        let stats = try service.stats()
        #expect(stats.signHashCalls == 1 && stats.signaturesMade <= 1 && stats.signed.values.allSatisfy { $0 == 1 }, "\(stats.calls)")
        try await service.stop()
        try await second.daemon.stop()
    }
}
