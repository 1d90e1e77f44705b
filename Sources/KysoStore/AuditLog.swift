public import Foundation
import GRDB

/// What an audit record is about. A struct rather than an enum so new actions do not break callers.
public struct AuditAction: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let sign = AuditAction(rawValue: "sign")
    public static let register = AuditAction(rawValue: "register")
    public static let bind = AuditAction(rawValue: "bind")
    public static let unbind = AuditAction(rawValue: "unbind")
    public static let rebind = AuditAction(rawValue: "rebind")
    public static let secretReveal = AuditAction(rawValue: "secret.reveal")
    /// A secret set or replaced on an existing binding.
    public static let secretStore = AuditAction(rawValue: "secret.store")
    /// The store written out for another machine, and read back in.
    public static let backup = AuditAction(rawValue: "backup")
    public static let restore = AuditAction(rawValue: "restore")
    /// A remote signing service's secret (client secret, service password) set or revealed by an administrator.
    public static let remoteSecretStore = AuditAction(rawValue: "remote-secret.store")
    public static let remoteSecretReveal = AuditAction(rawValue: "remote-secret.reveal")
    /// One uid's refusals beyond the per-minute threshold, counted into one record (`detail` says how many).
    public static let refusalsCounted = AuditAction(rawValue: "refusals.counted")

    public var description: String { rawValue }
}

/// How the audited request ended.
public enum AuditOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case success
    /// Refused by policy or validation before anything was done (bad input, PIN guard, capability).
    case refused
    /// Tried and failed (wrong PIN, card pulled, token error).
    case failed
}

/// One audit record. Holds digests and identifiers only: never a PIN, a secret or signed data itself.
public struct AuditEntry: Sendable, Hashable {
    /// Assigned by the store; nil before insertion.
    public var id: Int64?
    /// Stored with millisecond precision.
    public var time: Date
    /// The caller's kernel credentials (SO_PEERCRED) and executable, when known.
    public var uid: UInt32?
    public var pid: Int32?
    public var executable: String?
    public var action: AuditAction
    public var tokenId: String?
    /// Lowercase hex.
    public var certificateSha256: String?
    public var mechanism: String?
    /// Lowercase hex SHA-256 of what was signed (or the digest given).
    public var dataSha256: String?
    public var outcome: AuditOutcome
    /// A short note (the account key, an error code); must not contain secrets.
    public var detail: String?

    public init(
        id: Int64? = nil, time: Date, uid: UInt32? = nil, pid: Int32? = nil, executable: String? = nil,
        action: AuditAction, tokenId: String? = nil, certificateSha256: String? = nil, mechanism: String? = nil,
        dataSha256: String? = nil, outcome: AuditOutcome, detail: String? = nil
    ) {
        self.id = id
        self.time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        self.uid = uid
        self.pid = pid
        self.executable = executable
        self.action = action
        self.tokenId = tokenId
        self.certificateSha256 = certificateSha256
        self.mechanism = mechanism
        self.dataSha256 = dataSha256
        self.outcome = outcome
        self.detail = detail
    }
}

extension KysoDatabase {
    /// Appends a record (and prunes by the retention) in one transaction; returns its id.
    @discardableResult
    public func appendAudit(_ entry: AuditEntry) async throws(StoreError) -> Int64 {
        let policy = auditPolicy
        return try await write("append an audit record") { db in
            try AuditRow.append(entry, policy: policy, db)
        }
    }

    /// Appends records in order in one transaction (one fsync for all of them), pruning by the retention.
    public func appendAudit(_ entries: [AuditEntry]) async throws(StoreError) {
        guard !entries.isEmpty else { return }
        let policy = auditPolicy
        try await write("append \(entries.count) audit records") { db in
            for entry in entries { try AuditRow.append(entry, policy: policy, db) }
        }
    }

    /// The newest records first, at most `limit`, only those at or after `since` when given.
    public func audit(limit: Int = 100, since: Date? = nil) async throws(StoreError) -> [AuditEntry] {
        let sinceMilliseconds = since.map(AuditRow.milliseconds) ?? Int64.min
        return try await read("read the audit log") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE timeMilliseconds >= ? ORDER BY id DESC LIMIT ?",
                arguments: [sinceMilliseconds, max(0, limit)]
            ).map(AuditRow.decode)
        }
    }
}

enum AuditRow {
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    @discardableResult
    static func append(_ entry: AuditEntry, policy: AuditPolicy, _ db: Database) throws -> Int64 {
        let time = milliseconds(entry.time)
        let category = AuditCategory(entry)
        let sequence = try Int64.fetchOne(
            db, sql: "SELECT coalesce(max(sequence), 0) + 1 FROM audit WHERE category = ?", arguments: [category.rawValue]) ?? 1
        try db.execute(
            sql: """
                INSERT INTO audit (timeMilliseconds, uid, pid, executable, action, tokenId, certificateSha256, mechanism,
                    dataSha256, outcome, detail, category, sequence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                time, entry.uid.map { Int64($0) }, entry.pid.map { Int64($0) }, entry.executable, entry.action.rawValue,
                entry.tokenId, entry.certificateSha256, entry.mechanism, entry.dataSha256, entry.outcome.rawValue,
                entry.detail, category.rawValue, sequence,
            ])
        let id = db.lastInsertedRowID
        try policy.prune(after: category, sequence: sequence, time: time, db)
        return id
    }

    static func decode(_ row: Row) throws -> AuditEntry {
        let milliseconds: Int64 = row["timeMilliseconds"]
        let outcomeText: String = row["outcome"]
        guard let outcome = AuditOutcome(rawValue: outcomeText) else {
            throw StoreError(.invalidStoredValue, "audit record \(row["id"] as Int64) has outcome \(outcomeText)")
        }
        let action: String = row["action"]
        let uid: Int64? = row["uid"]
        let pid: Int64? = row["pid"]
        return AuditEntry(
            id: row["id"], time: Date(timeIntervalSince1970: Double(milliseconds) / 1000),
            uid: uid.flatMap(UInt32.init(exactly:)), pid: pid.flatMap(Int32.init(exactly:)), executable: row["executable"],
            action: AuditAction(rawValue: action), tokenId: row["tokenId"],
            certificateSha256: row["certificateSha256"], mechanism: row["mechanism"], dataSha256: row["dataSha256"],
            outcome: outcome, detail: row["detail"])
    }
}
