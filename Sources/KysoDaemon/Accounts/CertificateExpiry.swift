import Foundation
import KysoAPI
import KysoCore

/// Which certificates on present tokens are due a reminder: `certificate.expiring` when 30, 7 or 1 days are left
/// (one reminder per threshold) and `certificate.expired` once ended. Bound or not: a declarant's certificate ending
/// unnoticed stops their declarations whether Kyso binds it or not. Checked at every token arrival and once a day
/// (`AccountService.run`); `Reminders` keeps each to once.
enum CertificateExpiry {
    struct Reminder: Equatable {
        let type: EventType
        let data: EventData
        /// What `Reminders` remembers: the certificate and the threshold (or `expired`).
        let key: String
    }

    static func due(tokens: [TokenInfoResponse], now: Date) -> [Reminder] {
        var seen: Set<String> = []
        var reminders: [Reminder] = []
        for token in tokens {
            for certificate in token.certificates where seen.insert(certificate.sha256).inserted {
                let notAfter = certificate.profile.validity.notAfter
                let seconds = notAfter.timeIntervalSince(now)
                let daysLeft = Int((seconds / 86_400).rounded(.down))
                if seconds <= 0 {
                    reminders.append(Reminder(
                        type: .certificateExpired, data: EventData(tokenId: token.id, certificate: certificate.sha256, daysLeft: daysLeft),
                        key: "expired \(certificate.sha256)"))
                } else if seconds <= Double(Reminders.expiryThresholds[0]) * 86_400 {
                    let threshold = Reminders.expiryThreshold(notAfter: notAfter, now: now)
                    reminders.append(Reminder(
                        type: .certificateExpiring, data: EventData(tokenId: token.id, certificate: certificate.sha256, daysLeft: daysLeft),
                        key: "certificate \(certificate.sha256) \(threshold)"))
                }
            }
        }
        return reminders
    }
}
