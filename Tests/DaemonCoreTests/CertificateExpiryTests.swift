import Foundation
@testable import KysoDaemon
import KysoAPI
import Testing

/// Issue 13: reminders that reach people, once each: certificate.expiring at 30, 7 and 1 days left and
/// certificate.expired, for every certificate on a present token.
@Suite("certificate expiry reminders")
struct CertificateExpiryTests {
    @Test("30, 7 and 1 days left and expired are one reminder each; far from the end, none")
    func thresholds() throws {
        let certificate = try FakeCertificate()
        let (inventory, tokenId) = fakeInventory(with: certificate)
        let notAfter = try #require(inventory.tokens.first?.certificates.first?.profile.validity.notAfter)
        let reminders = Reminders()
        func sent(daysBefore days: Double) -> [CertificateExpiry.Reminder] {
            CertificateExpiry.due(tokens: inventory.tokens, now: notAfter - days * 86_400).filter { reminders.firstTime($0.key) }
        }
        #expect(sent(daysBefore: 100).isEmpty)
        let thirty = sent(daysBefore: 20)
        #expect(thirty.map(\.type) == [.certificateExpiring] && thirty.first?.data.daysLeft == 20)
        #expect(thirty.first?.data.certificate == certificate.sha256 && thirty.first?.data.tokenId == tokenId)
        // The next day, or at the next token arrival, within the same threshold: nothing more.
        #expect(sent(daysBefore: 19).isEmpty && sent(daysBefore: 8).isEmpty)
        #expect(sent(daysBefore: 6.5).map(\.data.daysLeft) == [6])
        #expect(sent(daysBefore: 5).isEmpty)
        #expect(sent(daysBefore: 0.5).map(\.data.daysLeft) == [0])
        let expired = sent(daysBefore: -2)
        #expect(expired.map(\.type) == [.certificateExpired] && expired.first?.data.daysLeft == -2)
        #expect(sent(daysBefore: -3).isEmpty)
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
