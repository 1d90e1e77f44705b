public import Foundation
import KysoCore
import GRDB

/// Registration statements this kysod signed, by the SHA-256 of their canonical bytes, and whether one has been
/// bound. A binding needs a statement from this ledger that was never bound before: a signature made some other
/// way (the plain signing endpoint with a digest, a hand-assembled CMS) cannot name a statement kysod issued, and a
/// statement bound once stays used after an unbind, so it cannot be replayed.
extension KysoDatabase {
    /// What the ledger says about one statement.
    public enum StatementState: Sendable, Equatable {
        /// Not signed by this kysod's registration endpoint (or forgotten after `unusedStatementLifetime`).
        case notIssued
        case issued
        /// Bound once already (the binding may since have been removed).
        case consumed
    }

    /// Unbound statements older than this are dropped; the statement age limit is shorter, so none could be bound.
    public static let unusedStatementLifetime: TimeInterval = 86_400

    /// Notes a statement the registration endpoint signed, and forgets unbound ones past their lifetime.
    public func recordIssuedStatement(sha256: String, issuedAt: Date) async throws(StoreError) {
        let cutoff = RFC3339Seconds.string(from: issuedAt.addingTimeInterval(-Self.unusedStatementLifetime))
        try await write("record an issued registration statement") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO registration_statement (sha256, issuedAt, consumedAt) VALUES (?, ?, NULL)",
                arguments: [sha256, RFC3339Seconds.string(from: issuedAt)])
            try db.execute(
                sql: "DELETE FROM registration_statement WHERE consumedAt IS NULL AND issuedAt < ?", arguments: [cutoff])
        }
    }

    public func statementState(sha256: String) async throws(StoreError) -> StatementState {
        try await read("read the registration statement ledger") { db in
            try Self.statementState(sha256: sha256, db)
        }
    }

    static func statementState(sha256: String, _ db: Database) throws -> StatementState {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT consumedAt FROM registration_statement WHERE sha256 = ?", arguments: [sha256])
        else { return .notIssued }
        return row["consumedAt"] as String? == nil ? .issued : .consumed
    }

    /// Marks a statement bound, inside a binding's transaction; throws when it is not issued or already used.
    static func consumeStatement(sha256: String, at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE registration_statement SET consumedAt = ? WHERE sha256 = ? AND consumedAt IS NULL",
            arguments: [RFC3339Seconds.string(from: now), sha256])
        guard db.changesCount == 1 else {
            switch try statementState(sha256: sha256, db) {
            case .consumed: throw StoreError(.statementAlreadyUsed, "this registration statement was bound once already; sign a new one")
            default: throw StoreError(.statementNotIssued, "this registration statement was not signed by this kysod's registration endpoint")
            }
        }
    }
}
