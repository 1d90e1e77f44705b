import Foundation
public import KysoCore
import Crypto
import GRDB

/// Everything a backup carries, read in one snapshot so that a binding and its secrets always agree.
public struct StoreSnapshot: Sendable {
    public let bindings: [AccountBinding]
    public let secrets: [SealedSecret]
    /// Oldest first.
    public let audit: [AuditEntry]
}

/// What a restore writes, decided beforehand by the caller (conflicts included): one transaction, all or nothing.
public struct RestorePlan: Sendable {
    /// Bindings here that the backup's replace (their secrets go with them).
    public var removing: [AccountKey]
    public var bindings: [AccountBinding]
    /// Secrets of `bindings`, sealed as this kysod stores them.
    public var secrets: [SealedSecret]
    /// Audit records from the backup, oldest first; those already here are skipped.
    public var audit: [AuditEntry]

    public init(removing: [AccountKey], bindings: [AccountBinding], secrets: [SealedSecret], audit: [AuditEntry]) {
        self.removing = removing
        self.bindings = bindings
        self.secrets = secrets
        self.audit = audit
    }
}

extension KysoDatabase {
    /// Bindings, secrets (still sealed) and the whole audit log, as one consistent read.
    public func snapshot() async throws(StoreError) -> StoreSnapshot {
        try await read("read the store for a backup") { db in
            StoreSnapshot(
                bindings: try Row.fetchAll(db, sql: "SELECT * FROM binding ORDER BY accountKey").map(BindingRow.decode),
                secrets: try Row.fetchAll(db, sql: "SELECT * FROM secret ORDER BY userId, kind").map(SecretRow.decode),
                audit: try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id").map(AuditRow.decode))
        }
    }

    /// Applies a restore in one transaction and returns how many audit records were added. Restored statements are
    /// marked bound in the statement ledger, so the backup cannot be used to bind them a second time here.
    /// - Throws: `duplicateAccount`, `certificateAlreadyBound` when the plan collides with what is stored (a binding
    ///   made since the caller looked); nothing is then changed.
    public func restore(_ plan: RestorePlan, audit entry: AuditEntry) async throws(StoreError) -> Int {
        let policy = auditPolicy
        return try await write("restore a backup") { db in
            for key in plan.removing {
                try db.execute(sql: "DELETE FROM binding WHERE accountKey = ?", arguments: [key.text])
            }
            for binding in plan.bindings {
                try BindingRow(binding).insert(db)
                let statement = Hex.lowercase(SHA256.hash(data: binding.statement))
                let when = RFC3339Seconds.string(from: binding.createdAt)
                try db.execute(
                    sql: """
                        INSERT INTO registration_statement (sha256, issuedAt, consumedAt) VALUES (?, ?, ?)
                        ON CONFLICT (sha256) DO UPDATE SET consumedAt = coalesce(consumedAt, excluded.consumedAt)
                        """,
                    arguments: [statement, when, when])
            }
            for secret in plan.secrets { try SecretRow.upsert(secret, db) }
            var added = 0
            for record in plan.audit {
                guard try !AuditRow.exists(record, db) else { continue }
                try AuditRow.append(record, policy: policy, db)
                added += 1
            }
            try AuditRow.append(entry, policy: policy, db)
            return added
        }
    }
}

extension AuditRow {
    /// Whether a record with the same time and contents is stored (ids differ between machines). The time may differ
    /// by a millisecond: a time read back as a `Date` in seconds can come out a hair under its millisecond.
    static func exists(_ entry: AuditEntry, _ db: Database) throws -> Bool {
        let time = milliseconds(entry.time)
        return try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM audit WHERE timeMilliseconds BETWEEN ? AND ? AND action = ? AND outcome = ? AND uid IS ? AND pid IS ?
                    AND executable IS ? AND tokenId IS ? AND certificateSha256 IS ? AND mechanism IS ? AND dataSha256 IS ? AND detail IS ?)
                """,
            arguments: [
                time - 1, time + 1, entry.action.rawValue, entry.outcome.rawValue, entry.uid.map { Int64($0) },
                entry.pid.map { Int64($0) }, entry.executable, entry.tokenId, entry.certificateSha256, entry.mechanism,
                entry.dataSha256, entry.detail,
            ]) ?? false
    }
}
