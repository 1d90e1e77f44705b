import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Certificate reminders from `kyso notify`: once each, in English and Vietnamese, through a kysod restart (whose
/// new run announces every token again) and a restart of the notifier itself.
@Suite("kyso notify: certificate reminders once", .enabled(if: NotificationBus.isAvailable), .timeLimit(.minutes(3)))
struct NotifyReminderTests {
    @Test("a certificate ending in 11 days and an ended one: one reminder each per language, none again after restarts")
    func remindersOnceThroughRestarts() async throws {
        let bus = try await NotificationBus()
        defer { bus.stop() }
        let (labDirectory, manifest) = try await Lab.copy()
        let lab = labDirectory.path
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-short", "--provider", "viettel", "--valid-days", "11"])
        _ = try Lab.tool(["add-token", lab, "--label", "kyso-ended", "--provider", "fpt", "--valid-days", "0"])
        let environment = ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path]
        let arguments = ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"]
        let first = try await DaemonProcess(arguments: arguments, environment: environment)
        let socket = first.socketPath
        let state = first.directory
        var english = try await NotifierProcess.start(socket: socket, bus: bus, lang: "en_US.UTF-8", stateHome: state.appendingPathComponent("en"))
        let vietnamese = try await NotifierProcess.start(socket: socket, bus: bus, lang: "vi_VN.UTF-8", stateHome: state.appendingPathComponent("vi"))

        // Present at start: no "plugged in", but the reminders kysod may have sent before the notifier ran.
        let ending = try await bus.waitForNotification("Certificate ends in 10 days")
        #expect(ending.body.contains("Viettel") && ending.body.contains("Renew it"), "\(ending)")
        let sắpHết = try await bus.waitForNotification("Chữ ký số sắp hết hạn: còn 10 ngày")
        #expect(sắpHết.body.contains("Nhà cung cấp chữ ký số") && sắpHết.body.contains("MST"), "\(sắpHết)")
        // dd/MM/yyyy in Vietnamese.
        #expect(sắpHết.summary.contains(#/\(đến \d\d/\d\d/\d{4}\)/#), "\(sắpHết)")
        try await bus.waitForNotification("Certificate expired on")
        try await bus.waitForNotification("Chữ ký số đã hết hạn ngày")

        // kysod restarts on the same socket and state: its new run sends token.inserted for every token (the
        // reminders it gave are remembered in its store, so it does not send them again; the notifier would not show
        // them twice either way).
        try await first.stop()
        let second = try await DaemonProcess(arguments: arguments + ["--socket", socket, "--state-dir", state.appendingPathComponent("state").path],
                                             environment: environment)
        let client = KysoClient(socketPath: socket)
        try await Self.waitForEvent("token.inserted", client: client)
        // An account bound after the restart: its notification comes after every earlier event was handled.
        let tokens = manifest.tokens.filter { $0.certificates.first?.taxCode != nil }
        try Self.bind("KYSON001", tokens[0], socket: socket, folder: state)
        let bound = try await bus.waitForNotification("Account bound to a certificate: KYSON001")
        #expect(bound.body.contains("VNACCS declarant account") && bound.body.contains("tax code \(tokens[0].certificates[0].taxCode ?? "")"),
                "\(bound)")
        let gắn = try await bus.waitForNotification("Đã gắn tài khoản với chữ ký số: KYSON001")
        #expect(gắn.body.contains("Tài khoản khai báo VNACCS") && gắn.body.contains("MST"), "\(gắn)")

        // The English notifier restarts too (a new login): its first snapshot holds the same certificates.
        try await english.process.stop()
        english = try await NotifierProcess.start(socket: socket, bus: bus, lang: "en_US.UTF-8", stateHome: state.appendingPathComponent("en"))
        try Self.bind("KYSON002", tokens[1], socket: socket, folder: state)
        try await bus.waitForNotification("Account bound to a certificate: KYSON002")
        try await bus.waitForNotification("Đã gắn tài khoản với chữ ký số: KYSON002")

        let summaries = bus.shown().map(\.summary)
        for reminder in ["Certificate ends in 10 days", "Chữ ký số sắp hết hạn: còn 10 ngày", "Certificate expired on", "Chữ ký số đã hết hạn ngày"] {
            #expect(summaries.filter { $0.contains(reminder) }.count == 1, "\(reminder): \(summaries)")
        }
        // The tokens present from the start were never announced as plugged in, not even after kysod's restart.
        #expect(!summaries.contains { $0.contains("kyso-short") || $0.contains("kyso-ended") }, "\(summaries)")
        let given = try String(contentsOf: english.stateFile, encoding: .utf8)
        #expect(given.contains("expired ") && given.contains("certificate "), "\(given)")
        try await english.process.stop()
        try await vietnamese.process.stop()
        try await second.stop()
    }

    /// `kyso register declarant` on `token`'s first certificate (its PIN on standard input), then `kyso bind`.
    static func bind(_ userId: String, _ token: LabManifest.Token, socket: String, folder: URL) throws {
        let kyso = Lab.productsDirectory.appendingPathComponent("kyso").path
        let out = folder.appendingPathComponent(userId).path
        let certificate = token.certificates[0]
        try Shell.run(kyso, ["register", "declarant", "--tax-code", certificate.taxCode ?? "", "--user-id", userId, "--terminal-id", "T00009",
                             "--certificate", certificate.sha256, "--pin-stdin", "--out", out, "--socket", socket],
                      environment: ["LANG": "C.UTF-8"], input: Data((token.pin + "\n").utf8))
        try Shell.run(kyso, ["bind", out + "/statement.json", out + "/signature.der", "--socket", socket], environment: ["LANG": "C.UTF-8"])
    }

    /// Waits (30 s at most) until kysod's event stream, replayed from its start, holds an event of `type`.
    static func waitForEvent(_ type: String, client: KysoClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await event in client.events(lastEventID: 0) where event.event == type { return }
                throw TestFailure("kysod's event stream ended before a \(type) event")
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw TestFailure("no \(type) event from kysod within 30 s")
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
