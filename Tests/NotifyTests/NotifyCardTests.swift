import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing

/// `kyso notify` for a virtual smartcard (OpenSC over a private pcscd with vpcd): plugged in, wrong PINs, pulled;
/// seen by notification-daemon on the test's own session bus, in English and in Vietnamese at once.
@Suite("kyso notify with a virtual card", .enabled(if: NotificationBus.isAvailable && SmartcardLab.isAvailable),
       .timeLimit(.minutes(3)))
struct NotifyCardTests {
    @Test("card plugged in (holder, tax code, CA, days left), few tries and final PIN try, card pulled: en and vi")
    func cardLifecycle() async throws {
        let bus = try await NotificationBus()
        defer { bus.stop() }
        let (labDirectory, _) = try await Lab.copy()
        let pcsc = try await SmartcardLab()
        defer { pcsc.stop() }
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30"],
            environment: pcsc.environment.merging(["OPENSC_CONF": "/etc/opensc/opensc.conf"]) { $1 })
        let client = KysoClient(socketPath: daemon.socketPath)
        let english = try await NotifierProcess.start(socket: daemon.socketPath, bus: bus, lang: "en_US.UTF-8",
                                                      stateHome: daemon.directory.appendingPathComponent("en"))
        let vietnamese = try await NotifierProcess.start(socket: daemon.socketPath, bus: bus, lang: "vi_VN.UTF-8",
                                                         stateHome: daemon.directory.appendingPathComponent("vi"))

        let identity = try pcsc.identity(labDirectory: labDirectory, provider: "viettel")
        let card = try await pcsc.insert(key: identity.key, certificate: identity.certificate, retries: 3)
        let tokens = try await Self.waitForTokens(client)
        let cardToken = try #require(tokens.first, "the card's token did not show")
        let profile = try #require(cardToken.certificates.first?.profile)
        let taxCode = try #require(profile.taxCode?.value)

        let plugged = try await bus.waitForNotification("Token plugged in: \(cardToken.label)")
        #expect(plugged.body.contains("tax code \(taxCode)") && plugged.body.contains(profile.provider.displayName)
                && plugged.body.contains("days left"), "\(plugged)")
        #expect(plugged.appName == "Kyso" && plugged.icon == "drive-removable-media")
        let cắm = try await bus.waitForNotification("Đã cắm chữ ký số: \(cardToken.label)")
        #expect(cắm.body.contains("MST \(taxCode)") && cắm.body.contains("còn ") && cắm.body.contains(" ngày"), "\(cắm)")

        // Two wrong PINs: the card has one try left.
        for _ in 0..<2 {
            let response = try await client.request(.POST, "/v1/tokens/\(cardToken.id)/sign", body: Array(try APIJSON.encoder().encode(
                SignRequest(data: Data("tờ khai".utf8), pin: SecretBytes("000000")))))
            #expect(response.status == 401)
        }
        let finalTry = try await bus.waitForNotification("Final PIN try: \(cardToken.label)")
        #expect(finalTry.body.contains("One more wrong PIN locks"), "\(finalTry)")
        try await bus.waitForNotification("Lần nhập mã PIN cuối cùng: \(cardToken.label)")
        // The final try spent on a wrong PIN: locked.
        let locking = try await client.request(.POST, "/v1/tokens/\(cardToken.id)/sign", body: Array(try APIJSON.encoder().encode(
            SignRequest(data: Data("tờ khai".utf8), pin: SecretBytes("000000"), allowFinalTry: true))))
        #expect(locking.status != 200)
        let locked = try await bus.waitForNotification("PIN locked: \(cardToken.label)")
        #expect(locked.body.contains("SO PIN") && locked.body.contains(profile.provider.displayName), "\(locked)")
        let khóa = try await bus.waitForNotification("Mã PIN đã bị khóa: \(cardToken.label)")
        #expect(khóa.body.contains("Nhà cung cấp chữ ký số"), "\(khóa)")

        card.remove()
        try await bus.waitForNotification("Token pulled out: \(cardToken.label)")
        try await bus.waitForNotification("Đã rút chữ ký số: \(cardToken.label)")

        // Each once, in each language.
        let summaries = bus.shown().map(\.summary)
        print("NotifyCardTests: shown \(summaries)")
        for summary in ["Token plugged in", "Đã cắm chữ ký số", "Final PIN try", "Lần nhập mã PIN cuối cùng",
                        "PIN locked", "Mã PIN đã bị khóa", "Token pulled out", "Đã rút chữ ký số"] {
            #expect(summaries.filter { $0.hasPrefix(summary) }.count == 1, "\(summary): \(summaries)")
        }
        #expect(!english.process.text.contains("could not show") && !vietnamese.process.text.contains("không hiện được"),
                "\(english.process.text) \(vietnamese.process.text)")
        try await english.process.stop()
        try await vietnamese.process.stop()
        try await daemon.stop()
    }

    static func waitForTokens(_ client: KysoClient) async throws -> [TokenInfoResponse] {
        var tokens: [TokenInfoResponse] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while tokens.isEmpty && ContinuousClock.now < deadline {
            tokens = (try? await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens) ?? []
            if tokens.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        return tokens
    }
}
