public import Foundation
import GRDB
import Synchronization

/// The daemon's SQLite database: account bindings, sealed secrets and the audit log.
///
/// One instance owns the connection: a WAL `DatabasePool` in the state directory (`kyso.sqlite`, mode 0600,
/// `synchronous = FULL`, `secure_delete` on so removed secrets are overwritten), or an in-memory queue for tests.
/// Migrations run when it opens. Every public write is one transaction, so a crash (even `kill -9`) leaves either
/// the whole change or none of it.
public final class KysoDatabase: Sendable {
    public static let fileName = "kyso.sqlite"

    let writer: any DatabaseWriter
    /// How much audit history is kept; applied on every insert.
    public let auditRetention: AuditRetention
    /// Who hears of audit prunings (`onAuditPruned`).
    let pruningListener = Mutex<AuditPruningListener?>(nil)
    /// The database file, nil in memory.
    public let path: String?

    /// Opens (creating when needed) `stateDirectory/kyso.sqlite` and migrates it.
    public init(stateDirectory: URL, auditRetention: AuditRetention = .standard) throws(StoreError) {
        let directory = stateDirectory.path
        try StateFiles.ensureDirectory(directory)
        let path = stateDirectory.appendingPathComponent(Self.fileName).path
        try StateFiles.ensurePrivateFile(path)
        do {
            writer = try DatabasePool(path: path, configuration: Self.configuration())
        } catch {
            throw Self.storeError(error, doing: "open \(path)")
        }
        self.path = path
        self.auditRetention = auditRetention
        try migrate()
    }

    /// A private in-memory database, for tests.
    public init(inMemoryWithAuditRetention auditRetention: AuditRetention = .standard) throws(StoreError) {
        do {
            writer = try DatabaseQueue(configuration: Self.configuration())
        } catch {
            throw Self.storeError(error, doing: "open an in-memory database")
        }
        self.path = nil
        self.auditRetention = auditRetention
        try migrate()
    }

    /// Names of the migrations applied, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        do {
            return try writer.read { db in try StoreMigrations.migrator.appliedMigrations(db) }
        } catch {
            throw Self.storeError(error, doing: "read migrations")
        }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: empty when the file is sound.
    public func integrityProblems() throws(StoreError) -> [String] {
        do {
            return try writer.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "foreign key: \($0)" }
                return integrity + foreignKeys
            }
        } catch {
            throw Self.storeError(error, doing: "check integrity")
        }
    }

    /// The journal mode SQLite reports (`wal` for a file, `memory` in memory).
    public func journalMode() throws(StoreError) -> String {
        do {
            return try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
        } catch {
            throw Self.storeError(error, doing: "read the journal mode")
        }
    }

    private func migrate() throws(StoreError) {
        do {
            try StoreMigrations.migrator.migrate(writer)
        } catch {
            throw Self.storeError(error, doing: "migrate the database")
        }
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.label = "kyso"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    // MARK: - Running statements

    /// One write transaction; any GRDB error becomes a `StoreError`.
    func write<T: Sendable>(
        _ doing: String, _ updates: @escaping @Sendable (Database) throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await writer.write(updates)
        } catch {
            throw Self.storeError(error, doing: doing)
        }
    }

    /// One read (a snapshot: never sees half of a write).
    func read<T: Sendable>(
        _ doing: String, _ value: @escaping @Sendable (Database) throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await writer.read(value)
        } catch {
            throw Self.storeError(error, doing: doing)
        }
    }

    /// Maps SQLite constraint failures to the domain's duplicate errors; everything else keeps SQLite's message.
    static func storeError(_ error: any Error, doing: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return StoreError(.database, "cannot \(doing): \(error)") }
        let message = error.message ?? "\(error.resultCode)"
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_PRIMARYKEY where message.contains("binding.accountKey"):
            return StoreError(.duplicateAccount, "cannot \(doing): this account is already bound")
        case .SQLITE_CONSTRAINT_UNIQUE where message.contains("binding.certificateSha256"):
            return StoreError(.certificateAlreadyBound, "cannot \(doing): the certificate already serves another declarant account")
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StoreError(.notBound, "cannot \(doing): the account is not bound")
        default:
            return StoreError(.database, "cannot \(doing): \(message)")
        }
    }
}
