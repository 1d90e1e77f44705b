import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// Secrets sealed to the token (RSA-OAEP to the certificate's key, opened by C_Decrypt on the token) and the
/// renewal flow, through kysod on a SoftHSM lab copy. The lab's Viettel certificates allow key encipherment;
/// the others do not.
@Suite("secrets sealed to the token, and moving a binding to a renewed certificate")
struct SecretSealingTests {
    static let accessKey = "TAK0VIETTEL2026"
    static let password = "pw!2026a"

    static func bind(_ client: KysoClient, _ registration: RegistrationResponse, sealing: SealingMode?, pin: String?,
                     key: String? = accessKey, password: String? = password, account: String? = nil) async throws -> KysoClient.Response {
        let body = BindingCreateRequest(statement: registration.statement, signature: registration.signature,
                                        terminalAccessKey: key.map { SecretBytes($0) }, password: password.map { SecretBytes($0) }, sealing: sealing,
                                        pin: pin.map { SecretBytes($0) })
        return try await AccountAPITests.post(client, account.map { "/v1/bindings/\($0)" } ?? "/v1/bindings", body,
                                              method: account == nil ? .POST : .PUT)
    }

    static func code(_ response: KysoClient.Response) -> String {
        (try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code) ?? "status \(response.status)"
    }

    @Test("sealed to the token: the PIN is needed to bind and to reveal, the token really decrypts it, nothing leaks",
          .timeLimit(.minutes(2)))
    func tokenSealing() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let viettel = try #require(tokens.first { $0.label == "kyso-viettel" })
        let registration = try await AccountAPITests.register(client, token: viettel, userId: "VTEL1001", terminalId: "TERM02")

        // Refusals first: each leaves nothing stored.
        let noPIN = try await Self.bind(client, registration, sealing: .token, pin: nil)
        #expect(noPIN.status == 401 && Self.code(noPIN) == "pin-required", "\(Self.code(noPIN))")
        let wrongPIN = try await Self.bind(client, registration, sealing: .token, pin: "999999")
        #expect(wrongPIN.status == 401 && Self.code(wrongPIN) == "pin-incorrect", "\(Self.code(wrongPIN))")
        // A sealing mode the API does not know (the typed request cannot say it: sent as JSON).
        var unknownMode = try JSONSerialization.jsonObject(with: APIJSON.encoder().encode(BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: SecretBytes(Self.accessKey),
            pin: "123456"))) as? [String: Any] ?? [:]
        unknownMode["sealing"] = "cloud"
        let badMode = try await client.request(.POST, "/v1/bindings", body: Array(try JSONSerialization.data(withJSONObject: unknownMode)))
        #expect(badMode.status == 400 && Self.code(badMode) == "bad-request")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)

        let bound = try await Self.bind(client, registration, sealing: .token, pin: "123456")
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        let info = try bound.decode(BindingInfo.self)
        #expect(info.secrets == ["password", "terminalAccessKey"] && info.sealedToToken == ["password", "terminalAccessKey"])

        // Without a PIN (no cached login) the token cannot open it; with the PIN it can; a wrong PIN is refused.
        let withoutPIN = try await client.request(.GET, "/v1/bindings/VTEL1001/secrets/terminalAccessKey")
        #expect(withoutPIN.status == 401 && Self.code(withoutPIN) == "pin-required")
        let revealBody = Array(try APIJSON.encoder().encode(SecretRevealRequest(pin: "123456")))
        let revealed = try await client.request(.POST, "/v1/bindings/VTEL1001/secrets/terminalAccessKey", body: revealBody)
        #expect(revealed.status == 200)
        #expect(try revealed.decode(SecretResponse.self).value == SecretBytes(Self.accessKey))
        let password = try await client.request(.POST, "/v1/bindings/VTEL1001/secrets/password", body: revealBody)
        #expect(try password.decode(SecretResponse.self).value == SecretBytes(Self.password))
        let wrong = try await client.request(.POST, "/v1/bindings/VTEL1001/secrets/password",
                                             body: Array(try APIJSON.encoder().encode(SecretRevealRequest(pin: "000000"))))
        #expect(wrong.status == 401 && Self.code(wrong) == "pin-incorrect")

        // Independently of kysod: the stored ciphertext opens with pkcs11-tool on the token, and the plaintext is
        // the account's context followed by the secret (SoftHSM takes OAEP with SHA-1 only).
        let database = daemon.directory.appendingPathComponent("state/kyso.sqlite").path
        let row = String(decoding: try Shell.run("python3", ["-c", """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            sealing, oaep, blob = db.execute("SELECT sealing, oaepHash, ciphertext FROM secret WHERE userId='VTEL1001' AND kind='terminalAccessKey'").fetchone()
            open(sys.argv[2], "wb").write(blob)
            print(sealing, oaep)
            """, database, daemon.directory.appendingPathComponent("sealed.bin").path]), as: UTF8.self)
        #expect(row.trimmingCharacters(in: .whitespacesAndNewlines) == "token sha1")
        let opened = String(decoding: try Shell.run("pkcs11-tool", [
            "--module", Lab.softHSMModule, "--token-label", "kyso-viettel", "--login", "--pin", "123456", "--decrypt",
            "--id", "01", "-m", "RSA-PKCS-OAEP", "--hash-algorithm", "SHA-1", "--mgf", "MGF1-SHA1",
            "-i", daemon.directory.appendingPathComponent("sealed.bin").path,
        ], environment: ["SOFTHSM2_CONF": manifest.softhsm2Conf]), as: UTF8.self)
        #expect(opened.hasSuffix("VTEL1001\u{0}terminalAccessKey\u{0}\(Self.accessKey)") || opened.contains("\u{0}\(Self.accessKey)"),
                "\(opened.debugDescription)")

        // A certificate whose key usage forbids encipherment: `token` is refused, `auto` falls back to the host key.
        let vnpt = try #require(tokens.first { $0.label == "kyso-vnpt" })
        let vnptRegistration = try await AccountAPITests.register(client, token: vnpt, userId: "VNPT2001", terminalId: "TERM03")
        let unsuitable = try await Self.bind(client, vnptRegistration, sealing: .token, pin: "123456")
        #expect(unsuitable.status == 422 && Self.code(unsuitable) == "token-sealing-unavailable", "\(Self.code(unsuitable))")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.map(\.account) == ["VTEL1001"])
        let fallback = try await Self.bind(client, vnptRegistration, sealing: nil, pin: "123456")
        #expect(fallback.status == 201)
        #expect(try fallback.decode(BindingInfo.self).sealedToToken.isEmpty)
        #expect(try await client.get("/v1/bindings/VNPT2001/secrets/password", as: SecretResponse.self).value == SecretBytes(Self.password))

        let audit = try await client.get("/v1/audit?limit=50", as: AuditResponse.self).entries
        #expect(audit.contains { $0.action == "secret.reveal" && $0.outcome == "success" && ($0.detail ?? "").contains("(token)") })
        #expect(audit.contains { $0.action == "secret.reveal" && $0.outcome == "failed" && ($0.detail ?? "").contains("pin-incorrect") })
        let log = daemon.log()
        for secret in ["123456", "999999", Self.accessKey, Self.password] {
            #expect(!log.contains(secret), "\(secret) reached the log")
        }
        try await daemon.stop()
    }

    @Test("a renewed certificate: binding.renewal-needed, then kyso register and kyso rebind move the binding; token-sealed secrets of the old token go",
          .timeLimit(.minutes(2)))
    func renewal() async throws {
        let fixture = try await AccountCLITests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let client = KysoClient(socketPath: fixture.daemon.socketPath)
        let tokens = try await client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let viettel = try #require(tokens.first { $0.label == "kyso-viettel" })
        let registration = try await AccountAPITests.register(client, token: viettel, userId: "VTEL3001", terminalId: "TERM04")
        let bound = try await Self.bind(client, registration, sealing: .token, pin: "123456", password: nil)
        #expect(bound.status == 201)
        let table = try fixture.kyso(["bindings"])
        #expect(table.stdout.contains("terminalAccessKey (on token)"), "\(table.stdout)")
        let state = fixture.daemon.directory.appendingPathComponent("state").path
        try await fixture.daemon.stop()

        // The CA renewed the certificate onto a new token; the old token is gone.
        let lab = fixture.labDirectory.path
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-viettel-2027", "--renewal-of", "kyso-viettel"])
        _ = try Lab.tool(["remove-token", lab, "kyso-viettel"])
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--state-dir", state],
            environment: ["SOFTHSM2_CONF": fixture.labDirectory.appendingPathComponent("softhsm2.conf").path])
        let again = KysoClient(socketPath: daemon.socketPath)
        let renewed = try #require(try await again.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-viettel-2027" })
        let newCertificate = try #require(renewed.certificates.first)
        var events = again.events(lastEventID: 0).makeAsyncIterator()
        var announced: ServerSentEvent?
        while let event = try await events.next() {
            if event.event == "binding.renewal-needed" { announced = event; break }
        }
        let renewal = try #require(announced)
        #expect(renewal.data.contains("VTEL3001") && renewal.data.contains(newCertificate.sha256), "\(renewal.data)")
        #expect(try await again.get("/v1/bindings/VTEL3001", as: BindingInfo.self).certificatePresent == false)

        // The declarant registers again on the new certificate and moves the binding with kyso.
        let kyso = { (arguments: [String], input: String?) throws -> KysoRun in
            try KysoRun.run(arguments + ["--socket", daemon.socketPath], input: input)
        }
        let out = fixture.folder.appendingPathComponent("renewed").path
        let registered = try kyso(["register", "declarant", "--tax-code", try #require(newCertificate.profile.taxCode?.value),
                                   "--user-id", "VTEL3001", "--terminal-id", "TERM04", "--certificate", newCertificate.sha256,
                                   "--pin-stdin", "--out", out], "123456\n")
        #expect(registered.status == 0, "\(registered)")
        let moved = try kyso(["rebind", "VTEL3001", "\(out)/statement.json", "\(out)/signature.der", "--secrets-fd", "0"],
                             "\n\(Self.password)\n")
        #expect(moved.status == 0, "\(moved)")
        #expect(moved.stdout.contains("moved declarant VTEL3001"), "\(moved.stdout)")
        let binding = try await again.get("/v1/bindings/VTEL3001", as: BindingInfo.self)
        #expect(binding.certificate.sha256 == newCertificate.sha256 && binding.certificatePresent)
        // The access key was sealed to the old token, which the new one cannot open: it went with the move.
        #expect(binding.secrets == ["password"] && binding.sealedToToken.isEmpty)
        let secret = try kyso(["secret", "VTEL3001", "password"], nil)
        #expect(secret.status == 0 && secret.stdout == "\(Self.password)\n", "\(secret)")
        let shown = try await again.get("/v1/tokens/\(renewed.id)", as: TokenInfoResponse.self)
        #expect(shown.certificates.first?.accounts?.map(\.account) == ["VTEL3001"])
        try await daemon.stop()
    }
}
