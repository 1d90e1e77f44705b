public import Foundation
import GRDB
import KysoCore

/// The reminders kysod has sent (`certificate.expiring`, `certificate.expired`, `binding.renewal-needed`,
/// `binding.expiring`), so each goes out once across restarts.
extension KysoDatabase {
    /// Every reminder key recorded so far.
    public func sentReminders() async throws(StoreError) -> Set<String> {
        try await read("read the reminders sent") { db in
            Set(try String.fetchAll(db, sql: "SELECT key FROM reminder"))
        }
    }

    /// Records that `key` was sent; true when it was new (false when already recorded).
    @discardableResult
    public func recordReminder(_ key: String, at time: Date) async throws(StoreError) -> Bool {
        try await write("record a reminder") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO reminder (key, sentAt) VALUES (?, ?)",
                           arguments: [key, RFC3339Seconds.string(from: time)])
            return db.changesCount > 0
        }
    }
}
