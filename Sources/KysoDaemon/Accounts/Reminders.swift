import Foundation
import KysoStore
import Synchronization

/// The reminders kysod has sent, so each goes out once: a renewal once per account and renewed certificate, an
/// expiry once per account, certificate and threshold (30, 7 and 1 days left). Without this every token arrival
/// (and kysod's start, where every token arrives) repeated every reminder (issue 13, bug 3). Kept in the store too:
/// a reminder held only in memory went out once more after every restart.
final class Reminders: Sendable {
    /// The days-left thresholds of expiry reminders, nearest last.
    static let expiryThresholds = [30, 7, 1]

    private let sent: Mutex<Set<String>>
    private let database: KysoDatabase

    /// Starts from the reminders the store says were sent.
    init(database: KysoDatabase) async throws(StoreError) {
        self.database = database
        sent = Mutex(try await database.sentReminders())
    }

    /// True the first time `reminder` is asked for, false after; recorded in the store before it is answered. A
    /// store that cannot record it still lets the reminder out once in this run (better twice than never).
    func firstTime(_ reminder: String) async -> Bool {
        guard sent.withLock({ $0.insert(reminder).inserted }) else { return false }
        _ = try? await database.recordReminder(reminder, at: Date())
        return true
    }

    /// The threshold a certificate ending at `notAfter` has crossed by `now`: the smallest of 30, 7 and 1 days that
    /// is not less than the days left (so 20 days left is the 30-day reminder, 5 days the 7-day one).
    static func expiryThreshold(notAfter: Date, now: Date) -> Int {
        let daysLeft = notAfter.timeIntervalSince(now) / 86_400
        return expiryThresholds.last { Double($0) >= daysLeft } ?? expiryThresholds[0]
    }
}
