import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import KysoText
import Testing

/// Issue 14 meets issue 13: backup, restore and setting a secret say what went wrong in the language of
/// Accept-Language, as the other operations do; English (the default) keeps the details they always had.
@Suite("backup and restore problems in Vietnamese (issues 13, 14)", .serialized)
struct BackupProblemLanguageTests {
    static let vi = Messages.forLanguage(.vi)
    static let viHeader = [("accept-language", "vi")]

    @Test("a short passphrase, a wrong one and an unbound account: their own details, in Vietnamese when asked",
          .timeLimit(.minutes(3)))
    func details() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let short = Array(#"{"passphrase":"short"}"#.utf8)
        let shortVI = try #require(try await OpenAPIContractTests.send(
            Exchange(.POST, "/v1/backup", template: "/v1/backup", expect: 400, body: short, headers: Self.viHeader), to: client).decodeProblem())
        #expect(shortVI.code == "bad-request" && shortVI.detail == Self.vi("problem.backup.passphraseTooShort", ["minimum": "10"]), "\(shortVI)")
        #expect(shortVI.detail != Self.vi("problem.detail.bad-request"))
        let shortEN = try #require(try await OpenAPIContractTests.send(
            Exchange(.POST, "/v1/backup", template: "/v1/backup", expect: 400, body: short), to: client).decodeProblem())
        #expect(shortEN.detail == "the passphrase must have at least 10 characters", "\(shortEN)")

        let made = Array(try APIJSON.encoder().encode(BackupRequest(passphrase: SecretBytes(Array("correct horse battery".utf8)))))
        let backup = try await OpenAPIContractTests.send(Exchange(.POST, "/v1/backup", template: "/v1/backup", expect: 200, body: made), to: client)
            .decode(BackupFile.self)
        let wrong = Array(try APIJSON.encoder().encode(RestoreRequest(backup: backup, passphrase: SecretBytes(Array("not the passphrase".utf8)),
                                                                      dryRun: true)))
        let wrongVI = try #require(try await OpenAPIContractTests.send(
            Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 422, body: wrong, headers: Self.viHeader), to: client).decodeProblem())
        #expect(wrongVI.code == "backup-unreadable" && wrongVI.detail == Self.vi("problem.backup.wrongPassphrase"), "\(wrongVI)")
        #expect(wrongVI.detail != Self.vi("problem.detail.backup-unreadable"))
        let wrongEN = try #require(try await OpenAPIContractTests.send(
            Exchange(.POST, "/v1/restore", template: "/v1/restore", expect: 422, body: wrong), to: client).decodeProblem())
        #expect(wrongEN.detail == "wrong passphrase, or the file was changed or damaged", "\(wrongEN)")

        let value = Array(#"{"value":"pw#2026x","sealing":"host"}"#.utf8)
        let unbound = try #require(try await OpenAPIContractTests.send(
            Exchange(.PUT, "/v1/bindings/KYSOZ999/secrets/password", template: "/v1/bindings/{account}/secrets/{kind}", expect: 404,
                     body: value, headers: Self.viHeader), to: client).decodeProblem())
        #expect(unbound.detail == Self.vi("problem.accountNotBound", ["account": "KYSOZ999"]), "\(unbound)")
        try await daemon.stop()
    }
}
