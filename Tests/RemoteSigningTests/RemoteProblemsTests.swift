import Foundation
import KysoAPI
import KysoCore
@testable import KysoDaemon
import KysoRemote
import KysoTestSupport
import KysoText
import Testing

/// Issue 14 meets issue 15: what kysod says when a remote signature fails is a catalog message, so an answer with
/// Accept-Language: vi reads in Vietnamese, while the English detail stays word for word what it was.
@Suite("remote signing failures in both languages")
struct RemoteProblemsTests {
    /// Each answer of a service and the English kysod gave for it before the catalog.
    static let english: [(CSCError, ProblemCode, String)] = [
        (.invalidPIN(remainingAttempts: 2), .pinIncorrect, "the signing service refused the PIN (2 tries left)"),
        (.invalidPIN(remainingAttempts: nil), .pinIncorrect, "the signing service refused the PIN"),
        (.invalidOTP(remainingAttempts: 1), .pinIncorrect, "the signing service refused the one-time password (1 tries left)"),
        (.invalidOTP(remainingAttempts: nil), .pinIncorrect, "the signing service refused the one-time password"),
        (.pinLocked, .pinLocked, "the signing service has locked the credential's PIN or OTP"),
        (.approvalTimedOut, .approvalTimedOut, "the holder did not approve the signature on their phone in time"),
        (.timedOut(method: "signatures/signHash"), .approvalTimedOut, "the holder did not approve the signature on their phone in time"),
        (.accessDenied(""), .approvalRefused, "the holder or the service refused the signature"),
        (.accessDenied("user rejected"), .approvalRefused, "the holder or the service refused the signature: user rejected"),
        (.sadExpired, .tokenTimeout, "the signing service's authorisation ended before the signature (sadExpired); sign again"),
        (.timedOut(method: "credentials/authorize"), .tokenTimeout, "the signing service did not answer credentials/authorize in time"),
        (.unreachable(method: "auth/login", reason: "connection refused"), .remoteServiceUnavailable,
         "the signing service is unreachable: connection refused"),
        (.loginRejected("bad password"), .remoteServiceUnavailable, "the signing service refused Kyso's login: bad password"),
        (.credentialDisabled, .tokenRemoved, "the signing service no longer offers this credential"),
        (.unsupported("oauth2code"), .mechanismUnsupported, "the signing service does not support oauth2code"),
        (.cancelled, .shuttingDown, "kysod is stopping; the signature request was not sent again"),
    ]

    @Test("each failure keeps its English detail and has a Vietnamese one from the catalog")
    func bothLanguages() {
        let vi = Messages.forLanguage(.vi)
        for (error, code, detail) in Self.english {
            let failure = RemoteKeyBackend.failure(error, approval: true)
            #expect(failure.code == code && failure.detail == detail, "\(error): \(failure)")
            guard let message = failure.message else { Issue.record("\(error) has no message"); continue }
            let vietnamese = vi(message)
            #expect(vietnamese != detail && !vietnamese.contains("signing service"), "\(error): \(vietnamese)")
        }
        let otp = RemoteKeyBackend.otpRequired("abc123")
        #expect(otp.code == .otpRequired
                && otp.detail == "the signing service asks for a one-time password (field otp); POST /v1/tokens/abc123/otp has it sent")
        #expect(otp.message.map { vi($0) }?.contains("/v1/tokens/abc123/otp") == true)
    }

    @Test("kysod answers an OTP-less signature in Vietnamese; kyso tokens, remote otp and sign speak Vietnamese",
          .timeLimit(.minutes(3)))
    func overTheSocket() async throws {
        let vi = Messages.forLanguage(.vi)
        let service = try await CSCTestService(tokens: ["kyso-vnpt"], arguments: ["--otp", "true"])
        let remote = try await RemoteDaemon(service: service)
        let token = try await remote.token(serving: "kyso-vnpt")
        let request = SignRequest(certificate: token.certificates.first?.sha256, digest: Data(try OpenSSL.sha256(Array("vi".utf8))),
                                  pin: SecretBytes(CSCTestService.pin))
        let body = Array(try APIJSON.encoder().encode(request))
        let asked = try await remote.client.request(.POST, "/v1/tokens/\(token.id)/sign", body: body, headers: [("accept-language", "vi")])
        let problem = try APIJSON.decoder().decode(ProblemDetails.self, from: Data(asked.body))
        #expect(problem.code == ProblemCode.otpRequired.rawValue && problem.detail == vi("problem.remote.otpRequired", ["id": token.id]),
                "\(problem)")
        let plain = try await remote.client.request(.POST, "/v1/tokens/\(token.id)/sign", body: body)
        #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(plain.body)).detail
                == "the signing service asks for a one-time password (field otp); POST /v1/tokens/\(token.id)/otp has it sent")

        let socket = remote.daemon.socketPath
        let listed = try KysoCLI.run(["tokens", "--wide", "--lang", "vi"], socket: socket)
        let table = String(decoding: listed.stdout, as: UTF8.self)
        let provider = try #require(token.remote?.provider)
        #expect(listed.status == 0 && table.contains(vi("remote.tokens.label", ["label": token.label, "provider": provider]))
                && table.contains(vi("remote.tokens.step.otp")), "\(table)")
        let sent = try KysoCLI.run(["remote", "otp", token.id, "--lang", "vi"], socket: socket)
        #expect(sent.status == 0 && sent.stderr.contains(vi("remote.otp.sending")), "\(sent.stderr)")
        let folder = try OpenSSL.scratch()
        let file = folder.appendingPathComponent("to-khai.xml")
        try Data("<ToKhai>1</ToKhai>".utf8).write(to: file)
        // No terminal and no --otp-fd: the error names --otp-fd N, in Vietnamese.
        let unsigned = try KysoCLI.run(["sign", token.id, file.path, "--out", folder.appendingPathComponent("sig").path, "--pin-stdin",
                                        "--lang", "vi"], socket: socket, input: CSCTestService.pin + "\n")
        #expect(unsigned.status != 0 && unsigned.stderr.contains(vi("otp.error.noTerminal")), "\(unsigned.stderr)")
        let set = try KysoCLI.run(["remote", "secret", "lab", "password", "--stdin", "--lang", "vi"], socket: socket,
                                  input: CSCTestService.password + "\n")
        #expect(set.status == 0 && set.stderr.contains(vi("remote.secret.stored", ["kind": vi("remote.secret.kind.password"), "service": "lab"])),
                "\(set.stderr)")
        // The service down: kyso doctor says so in Vietnamese.
        try await service.stop()
        let down = try await remote.waitFor(.unreachable)
        let doctor = try KysoCLI.run(["doctor", "--no-registered-modules", "--lang", "vi"], socket: socket)
        let report = Self.words(String(decoding: doctor.stdout, as: UTF8.self))
        let name = vi("doctor.remote.name", ["service": "lab", "provider": down.provider, "url": down.baseURL])
        #expect(doctor.status == 1 && report.contains(Self.words("Không kết nối được \(name)"))
                && report.contains(Self.words(vi("doctor.remote.unreachable.fix", ["service": "lab"]))), "\(report)")
        try await remote.daemon.stop()
    }

    /// Words apart from how the report wraps them.
    static func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
}
