import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// kysod with OpenSC over a private pcscd: virtual PIV cards come and go, sign, and count PIN tries.
@Suite("kysod with virtual smartcards", .enabled(if: SmartcardLab.isAvailable))
struct SmartcardDaemonTests {
    struct Fixture {
        let pcsc: SmartcardLab
        let daemon: DaemonProcess
        let client: KysoClient
        let labDirectory: URL

        func sign(_ tokenId: String, pin: String, allowFinalTry: Bool = false) async throws -> (Int, String) {
            let response = try await client.request(.POST, "/v1/tokens/\(tokenId)/sign", body: Array(try APIJSON.encoder().encode(
                SignRequest(data: Data("tờ khai".utf8), pin: SecretBytes(pin), allowFinalTry: allowFinalTry))))
            let code = (try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code) ?? "ok"
            return (response.status, code)
        }

        func stop() async throws {
            try await daemon.stop()
            pcsc.stop()
        }
    }

    static func start() async throws -> Fixture {
        let (directory, _) = try await Lab.copy()
        let pcsc = try await SmartcardLab()
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30"],
            environment: pcsc.environment.merging(["OPENSC_CONF": "/etc/opensc/opensc.conf"]) { $1 })
        return Fixture(pcsc: pcsc, daemon: daemon, client: KysoClient(socketPath: daemon.socketPath), labDirectory: directory)
    }

    static func next(_ events: inout AsyncThrowingStream<ServerSentEvent, any Error>.AsyncIterator, _ types: Set<String>,
                     daemon: DaemonProcess, timeout: Duration = .seconds(20)) async throws -> DaemonEvent {
        try await daemon.nextEvent(&events, types, timeout: timeout)
    }

    /// kysod with one virtual card (PIN 123456, `retries` tries) inserted and its token listed.
    static func startWithCard(retries: Int) async throws -> (Fixture, VirtualPIVCard, TokenInfoResponse) {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await Self.next(&events, ["snapshot"], daemon: fixture.daemon)
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory)
        let card = try await fixture.pcsc.insert(key: identity.key, certificate: identity.certificate, retries: retries)
        let token = try #require(try await Self.next(&events, ["token.inserted"], daemon: fixture.daemon).data.token)
        return (fixture, card, token)
    }

    /// A declarant registration signed on the card (PIN 123456).
    static func register(_ fixture: Fixture, _ certificate: TokenCertificate, userId: String, terminalId: String) async throws -> RegistrationResponse {
        let response = try await fixture.client.request(.POST, "/v1/registrations", body: Array(try APIJSON.encoder().encode(RegistrationRequest(
            role: .declarant, taxCode: try #require(certificate.profile.taxCode?.value), userId: userId, terminalId: terminalId,
            certificate: certificate.sha256, pin: "123456"))))
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return try response.decode(RegistrationResponse.self)
    }

    @Test("a card inserted and pulled shows as token.inserted (with its certificate profiled) and token.removed, at once despite a 30 s poll")
    func hotPlug() async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await Self.next(&events, ["snapshot"], daemon: fixture.daemon)
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory)
        let card = try await fixture.pcsc.insert(key: identity.key, certificate: identity.certificate)
        let inserted = try await Self.next(&events, ["token.inserted"], daemon: fixture.daemon)
        let delay = Date().timeIntervalSince(card.connectedAt)
        print("kysod: card connection → token.inserted on the socket: \(Int(delay * 1000)) ms")
        let token = try #require(inserted.data.token)
        #expect(token.module == "opensc-pkcs11.so")
        let certificate = try #require(token.certificates.first)
        #expect(certificate.profile.taxCode != nil)
        #expect(certificate.profile.provider.isTest)
        #expect(certificate.privateKeyOnToken)
        #expect(delay < 10, "the poll interval is 30 s: the reader monitor must have triggered the rescan")
        card.remove()
        let removed = try await Self.next(&events, ["token.removed"], daemon: fixture.daemon)
        #expect(removed.data.tokenId == token.id)
        #expect(try await fixture.client.get("/v1/tokens", as: TokenListResponse.self).tokens.isEmpty)
        try await fixture.stop()
    }

    @Test("a registration is signed on the virtual card, bound, its CMS verifies with openssl, and the binding survives kill -9 and a restart")
    func registerOnCard() async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await Self.next(&events, ["snapshot"], daemon: fixture.daemon)
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory, provider: "vnpt")
        let card = try await fixture.pcsc.insert(key: identity.key, certificate: identity.certificate)
        let token = try #require(try await Self.next(&events, ["token.inserted"], daemon: fixture.daemon).data.token)
        let certificate = try #require(token.certificates.first)
        let registration = try await Self.register(fixture, certificate, userId: "CARD0001", terminalId: "PIV001")
        let pki = fixture.labDirectory.appendingPathComponent("pki")
        try OpenSSLCheck.cmsVerify(cms: Array(registration.signature), content: Array("kyso-registration-v1\0".utf8) + Array(registration.statement),
                                   root: pki.appendingPathComponent("root.pem").path, intermediates: [pki.appendingPathComponent("vnpt-ca.pem").path])
        let bound = try await fixture.client.request(.POST, "/v1/bindings", body: Array(try APIJSON.encoder().encode(
            BindingCreateRequest(statement: registration.statement, signature: registration.signature))))
        #expect(bound.status == 201)
        #expect(try await fixture.client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self).certificates.first?.accounts?.first?.account == "CARD0001")

        // kill -9, and a new kysod on the same state finds the binding and shows it on the card still inserted.
        #expect(try await fixture.daemon.stop(signal: SIGKILL) != 0)
        let again = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30",
                        "--state-dir", fixture.daemon.directory.appendingPathComponent("state").path],
            environment: fixture.pcsc.environment.merging(["OPENSC_CONF": "/etc/opensc/opensc.conf"]) { $1 })
        let client = KysoClient(socketPath: again.socketPath)
        var shown = false
        for _ in 0..<150 where !shown {
            shown = (try? await client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self))?.certificates.first?.accounts?.first?.account == "CARD0001"
            if !shown { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(shown, "the binding is not shown on the card after kill -9 and restart")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.map(\.account) == ["CARD0001"])
        card.remove()
        try await again.stop()
        fixture.pcsc.stop()
    }

    @Test("a secret sealed to the virtual card (OAEP-SHA256 through OpenSC): revealed only with the card and its PIN; a wrong PIN costs one try",
          .timeLimit(.minutes(2)))
    func secretSealedToCard() async throws {
        let fixture = try await Self.start()
        var events = fixture.client.events().makeAsyncIterator()
        _ = try await Self.next(&events, ["snapshot"], daemon: fixture.daemon)
        // The lab's Viettel certificates allow key encipherment.
        let identity = try fixture.pcsc.identity(labDirectory: fixture.labDirectory, provider: "viettel")
        let card = try await fixture.pcsc.insert(key: identity.key, certificate: identity.certificate)
        let token = try #require(try await Self.next(&events, ["token.inserted"], daemon: fixture.daemon).data.token)
        let certificate = try #require(token.certificates.first)
        let registration = try await Self.register(fixture, certificate, userId: "CARD0002", terminalId: "PIV002")
        let bound = try await fixture.client.request(.POST, "/v1/bindings", body: Array(try APIJSON.encoder().encode(BindingCreateRequest(
            statement: registration.statement, signature: registration.signature, terminalAccessKey: "CARDKEY2026",
            sealing: .token, pin: "123456"))))
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        #expect(try bound.decode(BindingInfo.self).sealedToToken == ["terminalAccessKey"])

        let path = "/v1/bindings/CARD0002/secrets/terminalAccessKey"
        let wrong = try await fixture.client.request(.POST, path, body: Array(#"{"pin":"654321"}"#.utf8))
        #expect(wrong.status == 401 && wrong.decodeProblem()?.code == "pin-incorrect", "\(String(decoding: wrong.body, as: UTF8.self))")
        let opened = try await fixture.client.request(.POST, path, body: Array(#"{"pin":"123456"}"#.utf8))
        #expect(opened.status == 200, "\(String(decoding: opened.body, as: UTF8.self))")
        #expect(try opened.decode(SecretResponse.self).value == "CARDKEY2026")

        // Card pulled: the secret cannot be opened, and kysod says which certificate to plug in.
        card.remove()
        _ = try await Self.next(&events, ["token.removed"], daemon: fixture.daemon)
        let absent = try await fixture.client.request(.POST, path, body: Array(#"{"pin":"123456"}"#.utf8))
        #expect(absent.status == 404 && absent.decodeProblem()?.code == "certificate-not-present")
        #expect(!fixture.daemon.log().contains("CARDKEY2026") && !fixture.daemon.log().contains("654321"))
        try await fixture.stop()
    }

    @Test("PIN safety on a card with a retry counter: low, final try refused unless allowed, locked refused without touching the card")
    func pinSafety() async throws {
        let (fixture, card, token) = try await Self.startWithCard(retries: 3)
        func sign(pin: String, allowFinalTry: Bool = false) async throws -> (Int, String) {
            try await fixture.sign(token.id, pin: pin, allowFinalTry: allowFinalTry)
        }
        // Two wrong PINs: the card has one try left, which the token flags say.
        #expect(try await sign(pin: "000000") == (401, "pin-incorrect"))
        #expect(try await sign(pin: "000000") == (401, "pin-incorrect"))
        let state = try await fixture.client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self).pin.state
        #expect(state == .finalTry)
        // Even the right PIN is not tried on the final try unless the caller says so.
        #expect(try await sign(pin: "123456") == (409, "pin-final-try"))
        // Allowed, but wrong: the card locks. Then Kyso refuses without sending anything.
        #expect(try await sign(pin: "000000", allowFinalTry: true).0 != 200)
        #expect(try await fixture.client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self).pin.state == .locked)
        #expect(try await sign(pin: "123456", allowFinalTry: true) == (423, "pin-locked"))
        let log = fixture.daemon.log()
        #expect(!log.contains("123456") && !log.contains("000000"))
        card.remove()
        try await fixture.stop()
    }

    @Test("a successful final try clears finalTry at once: the next signature needs no allowFinalTry, and the token shows PIN ok")
    func finalTrySucceeds() async throws {
        let (fixture, card, token) = try await Self.startWithCard(retries: 3)
        func sign(pin: String, allowFinalTry: Bool = false) async throws -> (Int, String) {
            try await fixture.sign(token.id, pin: pin, allowFinalTry: allowFinalTry)
        }
        #expect(try await sign(pin: "000000") == (401, "pin-incorrect"))
        #expect(try await sign(pin: "000000") == (401, "pin-incorrect"))
        #expect(try await fixture.client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self).pin.state == .finalTry)
        // The right PIN on the final try, allowed: the card's counter is full again.
        #expect(try await sign(pin: "123456", allowFinalTry: true) == (200, "ok"))
        // OpenSC's PIV driver goes on reporting the old count while the card stays verified; kysod knows better.
        #expect(try await fixture.client.get("/v1/tokens/\(token.id)", as: TokenInfoResponse.self).pin.state == .ok)
        #expect(try await sign(pin: "123456") == (200, "ok"))
        #expect(try await sign(pin: "123456") == (200, "ok"))
        card.remove()
        try await fixture.stop()
    }
}
