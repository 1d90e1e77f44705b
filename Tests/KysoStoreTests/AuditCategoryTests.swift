import Foundation
import KysoTestSupport
import GRDB
import KysoStore
import Testing

/// The audit's retention by category (hardening issue 18, item 4): refusals cannot push out administrators'
/// records or successes, pruning is counted, and the migration classifies records written before it.
@Suite struct AuditCategoryTests {
    func entry(_ action: AuditAction, _ outcome: AuditOutcome, uid: UInt32 = 1000) -> AuditEntry {
        AuditEntry(time: Date(), uid: uid, action: action, outcome: outcome, detail: "\(action.rawValue) \(outcome.rawValue)")
    }

    @Test func refusalsPushOutOnlyRefusals() async throws {
        let database = try KysoDatabase(inMemoryWithAuditRetention: AuditRetention(maximumAgeDays: 30, maximumRows: 3, refusalRows: 2))
        try await database.appendAudit(entry(.bind, .success, uid: 0))
        try await database.appendAudit(entry(.sign, .success))
        for _ in 0..<50 { try await database.appendAudit(entry(.sign, .refused)) }
        let kept = try await database.audit(limit: 100)
        #expect(kept.map(\.action) == [.sign, .sign, .sign, .bind])
        #expect(kept.filter { $0.outcome == .refused }.count == 2)
        let pruning = try await database.auditPruning()
        #expect(pruning.map(\.category) == [.refusal])
        #expect(pruning.first?.records == 48)
    }

    @Test func theMigrationClassifiesEarlierRecords() async throws {
        let folder = try TemporaryDirectory()
        let kinds: [(AuditAction, AuditOutcome)] = [(.bind, .success), (.sign, .success), (.sign, .refused), (.secretReveal, .failed),
                                                    (.register, .failed), (.sign, .success), (.sign, .refused)]
        do {
            let database = try KysoDatabase(stateDirectory: folder.url)
            for (action, outcome) in kinds { try await database.appendAudit(entry(action, outcome)) }
        }
        // Back to the schema before "v4 audit category", records and all.
        let path = folder.url.appendingPathComponent(KysoDatabase.fileName).path
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: """
                    DROP INDEX audit_category_sequence; DROP TABLE auditPruning;
                    ALTER TABLE audit DROP COLUMN sequence; ALTER TABLE audit DROP COLUMN category;
                    DELETE FROM grdb_migrations WHERE identifier = 'v4 audit category'
                    """)
            }
        }
        let database = try KysoDatabase(stateDirectory: folder.url, auditRetention: AuditRetention(maximumAgeDays: 30, maximumRows: 100, refusalRows: 3))
        let queue = try DatabaseQueue(path: path)
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT category, sequence FROM audit ORDER BY id") }
        #expect(rows.map { $0["category"] as String } == ["admin", "operation", "refusal", "admin", "refusal", "operation", "refusal"])
        #expect(rows.map { $0["sequence"] as Int } == [1, 1, 1, 2, 2, 2, 3])
        // The numbering carries on: one more refusal pushes out the oldest refusal only.
        try await database.appendAudit(entry(.sign, .refused))
        let kept = try await database.audit(limit: 100).reversed().map { "\($0.action.rawValue) \($0.outcome.rawValue)" }
        #expect(kept == ["bind success", "sign success", "secret.reveal failed", "register failed", "sign success", "sign refused", "sign refused"])
    }
}
