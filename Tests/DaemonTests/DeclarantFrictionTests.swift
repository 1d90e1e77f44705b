import Foundation
import KysoAPI
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, the small friction items: what kyso says, in which words, with the real binary against kysod on a
/// SoftHSM lab copy.
@Suite("kyso's words for a declarant (issue 13 friction)")
struct DeclarantFrictionTests {
    @Test("kyso --version says the version kysod reports")
    func version() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let run = try KysoRun.run(["--version"])
        let status = try await fixture.client.get("/v1/status", as: StatusResponse.self)
        #expect(run.status == 0 && run.stdout == status.version + "\n", "\(run)")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("registering the account again on another certificate hints rebind; the move is binding.moved; one CA name")
    func rebindHintAndEvent() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try fixture.labToken("kyso-two-certs")
        let register = { (certificate: Int, out: String) throws -> KysoRun in
            try fixture.kyso(["register", "declarant", "--tax-code", token.certificates[certificate].taxCode ?? "", "--user-id", "KYSOF001",
                              "--terminal-id", "T00003", "--certificate", token.certificates[certificate].sha256, "--pin-stdin",
                              "--out", fixture.folder.appendingPathComponent(out).path], input: token.pin + "\n")
        }
        let first = try register(0, "first")
        #expect(first.status == 0 && first.stderr.contains("bind with: kyso bind "), "\(first)")
        let out = fixture.folder.appendingPathComponent("first").path
        let bound = try fixture.kyso(["bind", out + "/statement.json", out + "/signature.der"])
        #expect(bound.status == 0, "\(bound)")
        // One name for the CA, as `kyso tokens` shows it (VNPT-CA), not the provider key (vnpt).
        #expect(bound.stdout.contains("(VNPT-CA, until"), "\(bound.stdout)")
        let table = try fixture.kyso(["bindings"])
        #expect(table.stdout.contains("VNPT-CA") && !table.stdout.contains(" vnpt "), "\(table.stdout)")

        let second = try register(1, "second")
        #expect(second.status == 0 && second.stderr.contains("rebind with: kyso rebind KYSOF001 "), "\(second)")
        let moved = try fixture.kyso(["rebind", "KYSOF001"] + ["statement.json", "signature.der"].map {
            fixture.folder.appendingPathComponent("second").appendingPathComponent($0).path
        })
        #expect(moved.status == 0, "\(moved)")
        let events = try await DeclarantAccountTests.eventsSoFar(fixture.client)
        #expect(events.map(\.event).filter { $0.hasPrefix("binding.") } == ["binding.created", "binding.moved"],
                "\(events.map(\.event))")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("a refusal speaks kyso's flags, not the API's fields")
    func cliWords() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try #require(try await fixture.client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-viettel" })
        let file = fixture.folder.appendingPathComponent("declaration.xml")
        try Data("<tờ-khai/>".utf8).write(to: file)
        let run = try fixture.kyso(["sign", token.id, file.path, "--no-pin", "--out", file.path + ".sig"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("pin-required") && run.stderr.contains("--pin-stdin") && !run.stderr.contains("field pin"), "\(run.stderr)")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("the PIN prompt names the token by its label and id")
    func promptNamesToken() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try #require(try await fixture.client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-viettel" })
        let file = fixture.folder.appendingPathComponent("declaration.xml")
        try Data("<tờ-khai/>".utf8).write(to: file)
        let terminal = try PseudoTerminal()
        let process = Process()
        process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
        process.arguments = ["sign", token.id, file.path, "--out", file.path + ".sig", "--socket", fixture.daemon.socketPath]
        process.standardInput = terminal.follower
        process.standardOutput = terminal.follower
        process.standardError = terminal.follower
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let prompt = try await terminal.read(until: "]: ", timeout: .seconds(20))
        #expect(prompt.contains("PIN for token “kyso-viettel” [\(token.id)]: "), "\(prompt)")
        kill(process.processIdentifier, SIGTERM)
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("kyso account show: the card in the guide's order, secrets only with --secrets, and --json")
    func accountCard() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try fixture.labToken("kyso-vnpt")
        let out = fixture.folder.appendingPathComponent("card").path
        let registered = try fixture.kyso(["register", "declarant", "--tax-code", token.certificates[0].taxCode ?? "", "--user-id", "KYSOS001",
                                           "--terminal-id", "T00003", "--certificate", token.certificates[0].sha256, "--pin-stdin", "--out", out],
                                          input: token.pin + "\n")
        #expect(registered.status == 0, "\(registered)")
        let bound = try fixture.kyso(["bind", out + "/statement.json", out + "/signature.der", "--secrets-fd", "0", "--seal-to", "host"],
                                     input: "tak0abc123\npw#2026x\n")
        #expect(bound.status == 0, "\(bound)")

        let card = try fixture.kyso(["account", "show", "KYSOS001"])
        #expect(card.status == 0, "\(card)")
        let labels = card.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(19)).trimmingCharacters(in: .whitespaces) }
        #expect(labels == ["User ID", "Password", "Terminal ID", "Terminal access key", "Certificate serial", "Tax code", "CA provider",
                           "Holder", "Valid"], "\(card.stdout)")
        #expect(!card.stdout.contains("TAK0ABC123") && !card.stdout.contains("pw#2026x") && card.stdout.contains("VNPT-CA"), "\(card.stdout)")
        #expect(card.stdout.contains("CÔNG TY"), "the holder's name: \(card.stdout)")

        let revealed = try fixture.kyso(["account", "show", "KYSOS001", "--secrets"])
        #expect(revealed.status == 0 && revealed.stdout.contains("TAK0ABC123") && revealed.stdout.contains("pw#2026x"), "\(revealed)")
        let json = try fixture.kyso(["account", "show", "KYSOS001", "--json", "--secrets"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        #expect(object["userId"] as? String == "KYSOS001" && object["terminalId"] as? String == "T00003")
        #expect(object["terminalAccessKey"] as? String == "TAK0ABC123" && object["password"] as? String == "pw#2026x")
        #expect(object["certificateSerial"] as? String != nil && object["caProvider"] as? String == "VNPT-CA")
        let audit = try await fixture.client.get("/v1/audit", as: AuditResponse.self).entries
        #expect(audit.filter { $0.action == "secret.reveal" && $0.outcome == "success" }.count == 4, "each reveal is audited")
        let missing = try fixture.kyso(["account", "show", "KYSOS999"])
        #expect(missing.status == 1, "\(missing)")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("/metrics has kysod_certificate_expiry_seconds for each certificate present")
    func expiryMetric() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let metrics = try await fixture.client.request(.GET, "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        let certificate = try fixture.labToken("kyso-viettel").certificates[0]
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("kysod_certificate_expiry_seconds{certificate=\"\(certificate.sha256)\"}") },
                                "\(text)")
        let seconds = try #require(Double(line.split(separator: " ").last ?? ""))
        // The lab issues certificates for two years from the day before.
        #expect(seconds > 700 * 86_400 && seconds < 731 * 86_400, "\(line)")
        let series = text.split(separator: "\n").filter { $0.hasPrefix("kysod_certificate_expiry_seconds{") }
        #expect(series.count == Set(fixture.manifest.tokens.flatMap(\.certificates).map(\.sha256)).count, "\(series)")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("register and sign take a certificate by serial, fingerprint prefix or token label; an ambiguous name lists the candidates")
    func namingByWhatPeopleKnow() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let tokens = try await fixture.client.get("/v1/tokens", as: TokenListResponse.self).tokens
        let viettel = try #require(tokens.first { $0.label == "kyso-viettel" })
        let twoCerts = try #require(tokens.first { $0.label == "kyso-two-certs" })
        let taxCode = viettel.certificates[0].profile.taxCode?.value ?? ""
        func register(_ name: String, _ out: String, taxCode: String) throws -> KysoRun {
            try fixture.kyso(["register", "declarant", "--tax-code", taxCode, "--user-id", "KYSON001", "--terminal-id", "T00003",
                              "--certificate", name, "--pin-stdin", "--out", fixture.folder.appendingPathComponent(out).path], input: "123456\n")
        }
        let serial = viettel.certificates[0].profile.serialNumber.hex
        for (name, out) in [(serial, "by-serial"), (serial.lowercased(), "by-lower-serial"), ("kyso-viettel", "by-label"),
                            (String(viettel.certificates[0].sha256.prefix(12)), "by-prefix")] {
            let run = try register(name, out, taxCode: taxCode)
            #expect(run.status == 0 && run.stderr.contains(viettel.certificates[0].sha256), "\(name): \(run)")
        }
        let ambiguous = try register("kyso-two-certs", "two", taxCode: twoCerts.certificates[0].profile.taxCode?.value ?? "")
        #expect(ambiguous.status != 0 && ambiguous.stderr.contains("fits 2 certificates"), "\(ambiguous)")
        for certificate in twoCerts.certificates {
            #expect(ambiguous.stderr.contains(certificate.profile.serialNumber.hex), "\(ambiguous.stderr)")
        }

        let file = fixture.folder.appendingPathComponent("declaration.xml")
        try Data("<tờ-khai/>".utf8).write(to: file)
        let byLabel = try fixture.kyso(["sign", "kyso-viettel", file.path, "--out", file.path + ".1", "--pin-stdin"], input: "123456\n")
        #expect(byLabel.status == 0 && byLabel.stderr.contains(viettel.certificates[0].sha256), "\(byLabel)")
        let second = twoCerts.certificates[1]
        let bySerial = try fixture.kyso(["sign", second.profile.serialNumber.hex, file.path, "--out", file.path + ".2", "--pin-stdin"],
                                        input: "123456\n")
        #expect(bySerial.status == 0 && bySerial.stderr.contains(second.sha256), "the certificate named signs: \(bySerial)")
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("unbind on a terminal says what goes and asks for the account; a wrong answer changes nothing; --yes does not ask")
    func unbindConfirmation() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let token = try fixture.labToken("kyso-vnpt")
        let out = fixture.folder.appendingPathComponent("reg").path
        let registered = try fixture.kyso(["register", "declarant", "--tax-code", token.certificates[0].taxCode ?? "", "--user-id", "KYSOU001",
                                           "--terminal-id", "T00003", "--certificate", "kyso-vnpt", "--pin-stdin", "--out", out],
                                          input: token.pin + "\n")
        #expect(registered.status == 0, "\(registered)")
        let bound = try fixture.kyso(["bind", out + "/statement.json", out + "/signature.der", "--secrets-fd", "0", "--seal-to", "host"],
                                     input: "tak0abc123\npw#2026x\n")
        #expect(bound.status == 0, "\(bound)")

        func unbindOnTerminal(answer: String) async throws -> (status: Int32, screen: String) {
            let terminal = try PseudoTerminal()
            let process = Process()
            process.executableURL = Lab.productsDirectory.appendingPathComponent("kyso")
            process.arguments = ["unbind", "KYSOU001", "--socket", fixture.daemon.socketPath]
            process.standardInput = terminal.follower
            process.standardOutput = terminal.follower
            process.standardError = terminal.follower
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            let screen = try await terminal.read(until: "to go ahead", timeout: .seconds(20))
            terminal.type(answer + "\n")
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            return (process.terminationStatus, screen)
        }
        let refused = try await unbindOnTerminal(answer: "no")
        #expect(refused.status == 1, "\(refused.screen)")
        #expect(refused.screen.contains("removes its binding") && refused.screen.contains("password and terminalAccessKey"), "\(refused.screen)")
        #expect(try await fixture.client.request(.GET, "/v1/bindings/KYSOU001").status == 200, "a refused confirmation unbound")
        let confirmed = try await unbindOnTerminal(answer: "kysou001")
        #expect(confirmed.status == 0, "\(confirmed.screen)")
        #expect(try await fixture.client.request(.GET, "/v1/bindings/KYSOU001").status == 404)
        #expect(try await fixture.daemon.stop() == 0)
    }

    @Test("register reports every problem that needs no token at once, before any PIN is asked")
    func registrationPrecheck() async throws {
        let fixture = try await DeclarantAccountTests.start()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let otherTaxCode = try #require(fixture.manifest.tokens.first { $0.label == "kyso-fpt" }?.certificates.first?.taxCode)
        // No PIN source and no terminal: had kyso asked for the PIN first, it would stop with exit 64 (--pin-stdin).
        let run = try fixture.kyso(["register", "declarant", "--tax-code", otherTaxCode, "--user-id", "KYSO", "--terminal-id", "T1",
                                    "--certificate", "kyso-viettel"])
        #expect(run.status == 1, "\(run)")
        for expected in ["--user-id KYSO", "--terminal-id T1", "[tax-code-mismatch]", "no PIN was asked"] {
            #expect(run.stderr.contains(expected), "\(expected): \(run.stderr)")
        }
        let audit = try await fixture.client.get("/v1/audit", as: AuditResponse.self).entries
        #expect(!audit.contains { $0.action == "register" }, "kysod was asked although kyso knew the answer")
        #expect(try await fixture.daemon.stop() == 0)
    }
}
