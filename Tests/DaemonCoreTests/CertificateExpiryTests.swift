import Foundation
@testable import KysoDaemon
import KysoAPI
import KysoStore
import Testing

/// Issue 13: reminders that reach people, once each: certificate.expiring at 30, 7 and 1 days left and
/// certificate.expired, for every certificate on a present token.
@Suite("certificate expiry reminders")
struct CertificateExpiryTests {
    @Test("30, 7 and 1 days left and expired are one reminder each; far from the end, none")
    func thresholds() async throws {
        let certificate = try FakeCertificate()
        let (inventory, tokenId) = fakeInventory(with: certificate)
        let notAfter = try #require(inventory.tokens.first?.certificates.first?.profile.validity.notAfter)
        let database = try KysoDatabase(inMemoryWithAuditRetention: .standard)
        let reminders = try await Reminders(database: database)
        func sent(daysBefore days: Double) async -> [CertificateExpiry.Reminder] {
            var sent: [CertificateExpiry.Reminder] = []
            for reminder in CertificateExpiry.due(tokens: inventory.tokens, now: notAfter - days * 86_400) {
                if await reminders.firstTime(reminder.key) { sent.append(reminder) }
            }
            return sent
        }
        #expect(await sent(daysBefore: 100).isEmpty)
        let thirty = await sent(daysBefore: 20)
        #expect(thirty.map(\.type) == [.certificateExpiring] && thirty.first?.data.daysLeft == 20)
        #expect(thirty.first?.data.certificate == certificate.sha256 && thirty.first?.data.tokenId == tokenId)
        // The next day, or at the next token arrival, within the same threshold: nothing more.
        #expect(await sent(daysBefore: 19).isEmpty)
        #expect(await sent(daysBefore: 8).isEmpty)
        #expect(await sent(daysBefore: 6.5).map(\.data.daysLeft) == [6])
        #expect(await sent(daysBefore: 5).isEmpty)
        // What was sent is in the store: reminders read back from it (kysod restarted) send nothing twice.
        let afterRestart = try await Reminders(database: database)
        #expect(await afterRestart.firstTime(thirty[0].key) == false)
        #expect(await sent(daysBefore: 0.5).map(\.data.daysLeft) == [0])
        let expired = await sent(daysBefore: -2)
        #expect(expired.map(\.type) == [.certificateExpired] && expired.first?.data.daysLeft == -2)
        #expect(await sent(daysBefore: -3).isEmpty)
    }

    @Test("Reminders: a threshold is the smallest of 30, 7 and 1 days that is not under the days left")
    func thresholdOf() {
        let now = Date()
        #expect(Reminders.expiryThreshold(notAfter: now + 20 * 86_400, now: now) == 30)
        #expect(Reminders.expiryThreshold(notAfter: now + 7 * 86_400, now: now) == 7)
        #expect(Reminders.expiryThreshold(notAfter: now + 3 * 86_400, now: now) == 7)
        #expect(Reminders.expiryThreshold(notAfter: now + 3_600, now: now) == 1)
    }
}
