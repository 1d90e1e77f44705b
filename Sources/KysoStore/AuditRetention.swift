public import Foundation
import GRDB
import Synchronization

/// Which retention an audit record falls under. Refusals are kept apart so that a caller who can only be refused
/// (a signer sending bad requests, say) cannot push administrators' actions or real signatures out of the log.
public enum AuditCategory: String, Sendable, Hashable, CaseIterable, Codable {
    /// Actions only an administrator can take (binding, unbinding, secrets), whatever their outcome.
    case admin
    /// Everything else that succeeded (signatures, registrations).
    case operation
    /// Everything else that was refused or failed.
    case refusal

    /// Actions only the `admin` capability reaches. Kept in step with the SQL of the "v4 audit category" migration.
    static let adminActions: Set<AuditAction> = [.bind, .rebind, .unbind, .secretReveal, .secretStore, .backup, .restore,
                                                  .remoteSecretStore, .remoteSecretReveal]

    public init(_ entry: AuditEntry) {
        if Self.adminActions.contains(entry.action) { self = .admin } else { self = entry.outcome == .success ? .operation : .refusal }
    }
}

/// How much audit history is kept. Applied on every insert: records older than `maximumAge` before the new
/// record's time go, then the oldest of the new record's category beyond that category's row limit.
public struct AuditRetention: Sendable, Hashable {
    public var maximumAge: TimeInterval
    public var maximumRows: [AuditCategory: Int]

    /// - Parameters: `maximumRows` applies to each category not given its own limit.
    public init(maximumAgeDays: Int, maximumRows: Int, refusalRows: Int? = nil, adminRows: Int? = nil) {
        self.maximumAge = TimeInterval(max(1, maximumAgeDays)) * 86_400
        self.maximumRows = [
            .operation: max(1, maximumRows), .refusal: max(1, refusalRows ?? maximumRows), .admin: max(1, adminRows ?? maximumRows),
        ]
    }

    /// 180 days, at most 100 000 records of each category (a few tens of MB at most).
    public static let standard = AuditRetention(maximumAgeDays: 180, maximumRows: 100_000)
}

/// Records removed by the retention, by category, since the database was made.
public struct AuditPruning: Sendable, Hashable {
    public var category: AuditCategory
    public var records: Int
    public var lastPrunedAt: Date

    public init(category: AuditCategory, records: Int, lastPrunedAt: Date) {
        self.category = category
        self.records = records
        self.lastPrunedAt = lastPrunedAt
    }
}

/// Told of every pruning once its transaction commits (never of one rolled back), so it can be logged.
public typealias AuditPruningListener = @Sendable (AuditPruning) -> Void

extension KysoDatabase {
    /// Every category's pruning so far (categories never pruned are absent).
    public func auditPruning() async throws(StoreError) -> [AuditPruning] {
        try await read("read the audit pruning counts") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM auditPruning ORDER BY category").compactMap { row in
                let name: String = row["category"]
                let records: Int = row["records"]
                let last: Int64 = row["lastMilliseconds"]
                return AuditCategory(rawValue: name).map {
                    AuditPruning(category: $0, records: records, lastPrunedAt: Date(timeIntervalSince1970: Double(last) / 1000))
                }
            }
        }
    }

    /// Sets who hears of prunings (kysod logs them); replaces any earlier listener.
    public func onAuditPruned(_ listener: @escaping AuditPruningListener) {
        pruningListener.withLock { $0 = listener }
    }

    /// The retention and the listener, as one insert needs them inside its transaction.
    var auditPolicy: AuditPolicy { AuditPolicy(retention: auditRetention, listener: pruningListener.withLock { $0 }) }
}

struct AuditPolicy: Sendable {
    let retention: AuditRetention
    let listener: AuditPruningListener?

    /// Prunes after inserting a record of `category` with per-category sequence number `sequence` at `time`.
    func prune(after category: AuditCategory, sequence: Int64, time: Int64, _ db: Database) throws {
        var pruned: [AuditCategory: Int] = [:]
        let aged = try String.fetchAll(
            db, sql: "DELETE FROM audit WHERE timeMilliseconds < ? RETURNING category", arguments: [time - Int64(retention.maximumAge * 1000)])
        for name in aged { if let aged = AuditCategory(rawValue: name) { pruned[aged, default: 0] += 1 } }
        // Sequence numbers only grow within a category and records only go from its old end, so the newest
        // `limit` are those above sequence - limit: one index range, not a count of the category on every insert.
        let limit = Int64(retention.maximumRows[category] ?? Int.max)
        try db.execute(sql: "DELETE FROM audit WHERE category = ? AND sequence <= ?", arguments: [category.rawValue, sequence - limit])
        if db.changesCount > 0 { pruned[category, default: 0] += db.changesCount }
        for (category, records) in pruned {
            try db.execute(sql: """
                INSERT INTO auditPruning (category, records, lastMilliseconds) VALUES (?, ?, ?)
                ON CONFLICT (category) DO UPDATE SET records = records + excluded.records, lastMilliseconds = excluded.lastMilliseconds
                """, arguments: [category.rawValue, records, time])
            if let listener {
                let note = AuditPruning(category: category, records: records, lastPrunedAt: Date(timeIntervalSince1970: Double(time) / 1000))
                db.afterNextTransaction(onCommit: { _ in listener(note) })
            }
        }
    }
}
