import Crypto
import DesktopNotifications
import Foundation
import KysoAPI
import KysoCore
@testable import KysoNotify
import SwiftASN1
import Testing
import X509

/// What `kyso notify` makes of kysod's events, in process: each news once, reminders keyed, PIN warnings only when
/// the PIN got worse, nothing for tokens already there when it starts or when kysod comes back.
struct EventNotifierTests {
    static let now = Date(timeIntervalSince1970: 1_796_400_000)

    @Test("a restart of kysod (snapshot or the new run's insertions) shows nothing; a new token and one pulled do")
    func noRepeatsAcrossASnapshot() throws {
        let token = try Self.token(id: "t1", daysLeft: 100)
        var notifier = EventNotifier(text: NotificationText(language: .en, timeZone: .gmt))
        #expect(notifier.plan(Self.event(.snapshot, EventData(tokens: [token])), now: Self.now).isEmpty)
        #expect(notifier.plan(Self.event(.snapshot, EventData(tokens: [token])), now: Self.now).isEmpty)
        #expect(notifier.plan(Self.event(.tokenInserted, EventData(token: token)), now: Self.now).isEmpty)
        let other = try Self.token(id: "t2", daysLeft: 100)
        let plugged = notifier.plan(Self.event(.tokenInserted, EventData(token: other)), now: Self.now)
        #expect(plugged.map(\.notification.summary) == ["Token plugged in: kyso-t2"])
        #expect(plugged[0].notification.body.contains("(tax code 0101234565)") && plugged[0].notification.body.contains("days left: 100"),
                "\(plugged)")
        let pulled = notifier.plan(Self.event(.tokenRemoved, EventData(tokenId: "t2")), now: Self.now)
        #expect(pulled.map(\.notification.summary) == ["Token pulled out: kyso-t2"])
        #expect(notifier.plan(Self.event(.tokenRemoved, EventData(tokenId: "t2")), now: Self.now).isEmpty)
        // Gone while kysod was away: a later snapshot without it says so.
        let gone = notifier.plan(Self.event(.snapshot, EventData(tokens: [])), now: Self.now)
        #expect(gone.map(\.notification.summary) == ["Token pulled out: kyso-t1"])
    }

    @Test("PIN warnings when the PIN gets worse, not again for the same state")
    func pinWarnings() throws {
        var token = try Self.token(id: "t1", daysLeft: 100)
        var notifier = EventNotifier(text: NotificationText(language: .vi, timeZone: .gmt))
        _ = notifier.plan(Self.event(.snapshot, EventData(tokens: [token])), now: Self.now)
        var summaries: [String] = []
        for state in [(false, true), (false, true), (true, false), (true, false)] {
            token.pin = PINStatus(locked: false, finalTry: state.0, countLow: state.1)
            summaries += notifier.plan(Self.event(.tokenChanged, EventData(token: token)), now: Self.now).map(\.notification.summary)
        }
        token.pin = PINStatus(locked: true, finalTry: false, countLow: false)
        let locked = notifier.plan(Self.event(.tokenChanged, EventData(token: token)), now: Self.now)
        summaries += locked.map(\.notification.summary)
        #expect(summaries == ["Còn ít lần nhập mã PIN: kyso-t1", "Lần nhập mã PIN cuối cùng: kyso-t1", "Mã PIN đã bị khóa: kyso-t1"])
        #expect(locked.first?.notification.urgency == .critical)
        #expect(locked.first?.notification.body.contains("Nhà cung cấp chữ ký số") == true)
    }

    @Test("expiry reminders carry kysod's keys: threshold 30, 7 or 1, or expired; dd/MM/yyyy in Vietnamese")
    func expiryReminders() throws {
        var notifier = EventNotifier(text: NotificationText(language: .vi, timeZone: .gmt))
        let soon = try Self.token(id: "t1", daysLeft: 10)
        let ended = try Self.token(id: "t2", daysLeft: -3)
        let planned = notifier.plan(Self.event(.snapshot, EventData(tokens: [soon, ended])), now: Self.now)
        let sha = soon.certificates[0].sha256
        #expect(planned.map(\.reminder) == ["certificate \(sha) 30", "expired \(ended.certificates[0].sha256)"])
        #expect(planned[0].notification.summary == "Chữ ký số sắp hết hạn: còn 10 ngày (đến 14/12/2026)", "\(planned[0])")
        #expect(planned[1].notification.summary == "Chữ ký số đã hết hạn ngày 01/12/2026", "\(planned[1])")
        // kysod's certificate.expiring for the same certificate and threshold: the same key, so shown once.
        let event = notifier.plan(Self.event(.certificateExpiring, EventData(tokenId: "t1", certificate: sha, daysLeft: 10)), now: Self.now)
        #expect(event.map(\.reminder) == ["certificate \(sha) 30"])
        #expect(EventNotifier.threshold(notAfter: Self.now + 6.5 * 86_400, now: Self.now) == 7)
        #expect(EventNotifier.threshold(notAfter: Self.now + 0.5 * 86_400, now: Self.now) == 1)
        #expect(EventNotifier.threshold(notAfter: Self.now + 31 * 86_400, now: Self.now) == nil)
    }

    @Test("reminders given are kept in a file written whole; a new notifier reads them; a damaged file is reported")
    func givenRemindersPersist() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-given-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("kyso/notify-reminders.json")
        let given = GivenReminders(file: file)
        try await given.record("certificate abc 30")
        try await given.record("expired def")
        #expect(GivenReminders(file: file).contains("certificate abc 30") && GivenReminders(file: file).contains("expired def"))
        // Written through a temporary file renamed over the target: none is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path) == ["notify-reminders.json"])
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        try Data("{half".utf8).write(to: file)
        var reported: [String] = []
        #expect(!GivenReminders(file: file) { reported.append($0) }.contains("expired def"))
        #expect(reported == [file.path])
        // The newest `limit` keys are kept.
        let few = GivenReminders(file: file, limit: 3)
        for index in 0..<5 { try await few.record("key \(index)") }
        let kept = GivenReminders(file: file)
        #expect(!kept.contains("key 1") && kept.contains("key 2") && kept.contains("key 4"))
    }

    @Test("bodies are escaped for servers that read markup")
    func markupEscaped() {
        let notification = DesktopNotification(summary: "s", body: "Công ty A & B <b>", category: "c", icon: "i")
        #expect(notification.escapedBody == "Công ty A &amp; B &lt;b&gt;")
    }

    // MARK: Fixtures

    static func event(_ type: EventType, _ data: EventData) -> DaemonEvent {
        DaemonEvent(id: 1, type: type, time: now, data: data)
    }

    /// A token holding a P-256 certificate of tax code 0101234565 that ends `daysLeft` days (and an hour) after `now`.
    static func token(id: String, daysLeft: Double) throws -> TokenInfoResponse {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CountryName("VN")
            OrganizationName("CÔNG TY TNHH KYSO THỬ NGHIỆM")
            CommonName("CÔNG TY TNHH KYSO THỬ NGHIỆM")
        }
        var withUID = Array(name)
        withUID.append(RelativeDistinguishedName(
            RelativeDistinguishedName.Attribute(type: [0, 9, 2342, 19200300, 100, 1, 1], utf8String: "MST:0101234565")))
        let subject = DistinguishedName(withUID)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 400 * 86_400,
            notValidAfter: now + daysLeft * 86_400 + 3_600, issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { KeyUsage(digitalSignature: true, nonRepudiation: true) },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        let profile = try CertificateProfile(derEncoded: der, now: now)
        let sha256 = profile.fingerprints.sha256
        return TokenInfoResponse(
            id: id, uri: "pkcs11:token=\(id)", module: "fake.so", slot: 1, label: "kyso-\(id)", manufacturer: "Kyso", model: "fake",
            serialNumber: id, flags: [], pin: PINStatus(locked: false, finalTry: false, countLow: false), pinWords: "PIN ok",
            insertedAt: now, certificates: [TokenCertificate(
                sha256: sha256, label: "c", objectId: "01", uri: "pkcs11:id=%01", privateKeyOnToken: true, keyEvidence: "privateKeyObject",
                privateKeyUri: nil, der: Data(der), profile: profile)])
    }
}
