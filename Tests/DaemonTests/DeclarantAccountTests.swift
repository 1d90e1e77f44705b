import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Issue 13, bugs 3, 5 and 7: accounts as the declarant's IT person meets them, the real `kyso` binary against kysod
/// on a SoftHSM lab copy.
@Suite("declarant accounts (issue 13)")
struct DeclarantAccountTests {
    struct Fixture {
        let daemon: DaemonProcess
        let client: KysoClient
        let manifest: LabManifest
        let labDirectory: URL
        let folder: URL

        func kyso(_ arguments: [String], input: String? = nil, socket: String? = nil) throws -> KysoRun {
            try KysoRun.run(arguments + ["--socket", socket ?? daemon.socketPath], input: input)
        }

        func labToken(_ label: String) throws -> LabManifest.Token {
            try #require(manifest.tokens.first { $0.label == label })
        }

        /// `kyso register declarant` and `kyso bind` of `label`'s first certificate to `userId`.
        func registerAndBind(_ userId: String, label: String, socket: String? = nil) throws {
            let token = try labToken(label)
            let out = folder.appendingPathComponent(userId).path
            let registered = try kyso(["register", "declarant", "--tax-code", token.certificates[0].taxCode ?? "", "--user-id", userId,
                                       "--terminal-id", "T00003", "--certificate", token.certificates[0].sha256, "--pin-stdin", "--out", out],
                                      input: token.pin + "\n", socket: socket)
            #expect(registered.status == 0, "\(registered)")
            let bound = try kyso(["bind", out + "/statement.json", out + "/signature.der"], socket: socket)
            #expect(bound.status == 0, "\(bound)")
        }
    }

    static func start() async throws -> Fixture {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-declarant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return Fixture(daemon: daemon, client: client, manifest: manifest,
                       labDirectory: URL(fileURLWithPath: manifest.softhsm2Conf).deletingLastPathComponent(), folder: folder)
    }

    /// kysod again on the same lab and state folder (SoftHSM reads its tokens at start only).
    static func restart(_ fixture: Fixture) async throws -> DaemonProcess {
        try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2",
                        "--state-dir", fixture.daemon.directory.appendingPathComponent("state").path],
            environment: ["SOFTHSM2_CONF": fixture.labDirectory.appendingPathComponent("softhsm2.conf").path])
    }

    /// Every event of this run of kysod so far, oldest first.
    static func eventsSoFar(_ client: KysoClient) async throws -> [ServerSentEvent] {
        var live = client.events().makeAsyncIterator()
        let snapshot = try #require(try await live.next())
        var replay = client.events(lastEventID: 0).makeAsyncIterator()
        var events: [ServerSentEvent] = []
        while events.last?.id != snapshot.id, let event = try await replay.next() { events.append(event) }
        return events
    }

    @Test("bugs 3 and 7: a renewal is announced once, with the old certificate still valid and plugged in or gone, and not again after a restart")
    func renewalAnnouncedOnce() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try fixture.registerAndBind("KYSOR001", label: "kyso-viettel")
        try await fixture.daemon.stop()

        // The CA renewed the certificate onto a new token; both tokens are plugged in (the usual case).
        let lab = fixture.labDirectory.path
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-viettel-2027", "--renewal-of", "kyso-viettel"])
        let both = try await Self.restart(fixture)
        let bothClient = KysoClient(socketPath: both.socketPath)
        let renewed = try #require(try await bothClient.get("/v1/tokens", as: TokenListResponse.self).tokens
            .first { $0.label == "kyso-viettel-2027" }?.certificates.first)
        let announced = try await Self.renewalNotices(bothClient, tokens: fixture.manifest.tokens.count + 1)
        #expect(announced.count == 1, "with the old certificate valid and plugged in: \(announced.map(\.data))")
        #expect(announced.first.map { $0.data.contains("KYSOR001") && $0.data.contains(renewed.sha256) } == true)
        // The second certificate of the two-certs token (same business, another CA) is no renewal of anything bound.
        try await both.stop()

        // The old token is gone now, and kysod restarted: the renewal was announced already, and kysod remembers it
        // (it used to announce it once per run, which a person read as a new renewal).
        _ = try Lab.tool(["remove-token", lab, "kyso-viettel"])
        let renewedOnly = try await Self.restart(fixture)
        let announcedAgain = try await Self.renewalNotices(KysoClient(socketPath: renewedOnly.socketPath), tokens: fixture.manifest.tokens.count)
        #expect(announcedAgain.isEmpty, "\(announcedAgain.map(\.data))")
        try await renewedOnly.stop()
    }

    /// The `binding.renewal-needed` events of a kysod that has announced its `tokens` tokens, after its account
    /// service had time to look at each arrival.
    static func renewalNotices(_ client: KysoClient, tokens: Int) async throws -> [ServerSentEvent] {
        let deadline = ContinuousClock.now + .seconds(20)
        var events = try await eventsSoFar(client)
        while events.filter({ $0.event == "token.inserted" }).count < tokens && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            events = try await eventsSoFar(client)
        }
        // Reminders follow the arrivals that cause them; give the last ones a moment.
        try await Task.sleep(for: .seconds(1))
        return try await eventsSoFar(client).filter { $0.event == "binding.renewal-needed" }
    }

    @Test("bug 5: refused registrations and binds are in the audit log, like refused signatures")
    func refusalsAudited() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try fixture.labToken("kyso-viettel")
        let certificate = token.certificates[0]
        let otherTaxCode = try #require(fixture.manifest.tokens.first { $0.label == "kyso-fpt" }?.certificates.first?.taxCode)
        let absent = String(repeating: "ab", count: 32)
        let cases: [(String, RegistrationRequest)] = [
            ("invalid-field", RegistrationRequest(role: .declarant, taxCode: certificate.taxCode ?? "", userId: "AB1", terminalId: "T00003",
                                                  certificate: certificate.sha256, pin: "123456")),
            ("tax-code-mismatch", RegistrationRequest(role: .declarant, taxCode: otherTaxCode, userId: "KYSOA001", terminalId: "T00003",
                                                      certificate: certificate.sha256, pin: "123456")),
            ("certificate-not-present", RegistrationRequest(role: .declarant, taxCode: certificate.taxCode ?? "", userId: "KYSOA001",
                                                            terminalId: "T00003", certificate: absent, pin: "123456")),
        ]
        for (what, request) in cases {
            let response = try await fixture.client.request(.POST, "/v1/registrations", body: Array(try APIJSON.encoder().encode(request)))
            #expect(response.status >= 400, "\(what): \(response.status)")
        }
        // A bind whose statement is not JSON, and one naming a certificate no token holds.
        let garbage = BindingCreateRequest(statement: Data("not a statement".utf8), signature: Data([0x30, 0x00]))
        let refusedBind = try await fixture.client.request(.POST, "/v1/bindings", body: Array(try APIJSON.encoder().encode(garbage)))
        #expect(refusedBind.status >= 400)

        let audit = try await fixture.client.get("/v1/audit", as: AuditResponse.self).entries
        let registrations = audit.filter { $0.action == "register" && $0.outcome == "refused" }
        #expect(registrations.count == cases.count, "\(audit.map { "\($0.action) \($0.outcome) \($0.detail ?? "")" })")
        #expect(registrations.contains { $0.detail?.hasSuffix("tax-code-mismatch") == true && $0.certificateSha256 == certificate.sha256 })
        #expect(registrations.contains { $0.detail?.hasSuffix("certificate-not-present") == true })
        #expect(audit.contains { $0.action == "bind" && $0.outcome == "refused" }, "\(audit.map { "\($0.action) \($0.outcome)" })")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("bug 7: kyso tokens shows the account each certificate is bound to, in words rather than wire values")
    func tokensShowAccounts() async throws {
        let fixture = try await Self.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try fixture.registerAndBind("KYSOT001", label: "kyso-viettel")
        let table = try fixture.kyso(["tokens"])
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.contains("ACCOUNT") == true, "\(table.stdout)")
        let viettel = try #require(lines.first { $0.hasPrefix("kyso-viettel ") })
        #expect(viettel.hasSuffix("KYSOT001"), "\(viettel)")
        #expect(!table.stdout.contains("expiringSoon") && !table.stdout.contains("countLow") && !table.stdout.contains("finalTry"))
        #expect(try await fixture.daemon.stop() == 0)
    }
}
