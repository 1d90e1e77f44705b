import Foundation
public import KysoCore
import GRDB

/// Bindings: `BindingRules` decide beforehand; the table's constraints enforce uniqueness again, so two racing
/// requests cannot both win.
extension KysoDatabase {
    /// Stores a new binding, with its secrets and audit record, in one transaction; with `statementSha256`, the
    /// statement is marked bound in the same transaction (see `StatementLedger`).
    /// - Throws: `duplicateAccount`, `certificateAlreadyBound`, `statementNotIssued`, `statementAlreadyUsed`; on any
    ///   error nothing is stored.
    public func insertBinding(
        _ binding: AccountBinding, secrets: [SealedSecret] = [], audit: AuditEntry? = nil, consumingStatement statementSha256: String? = nil
    ) async throws(StoreError) {
        let policy = auditPolicy
        try await write("store the binding of \(binding.key)") { db in
            if let statementSha256 { try Self.consumeStatement(sha256: statementSha256, at: binding.createdAt, db) }
            try BindingRow(binding).insert(db)
            for secret in secrets { try SecretRow.upsert(secret, db) }
            if let audit { try AuditRow.append(audit, policy: policy, db) }
        }
    }

    /// Every binding, ordered by account key.
    public func bindings() async throws(StoreError) -> [AccountBinding] {
        try await read("read bindings") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM binding ORDER BY accountKey").map(BindingRow.decode)
        }
    }

    /// The binding of one account, or nil.
    public func binding(for account: AccountKey) async throws(StoreError) -> AccountBinding? {
        try await read("read the binding of \(account)") { db in
            try BindingRow.fetch(account, db)
        }
    }

    /// The binding of a declarant account, or nil.
    public func binding(userId: UserID) async throws(StoreError) -> AccountBinding? {
        try await binding(for: .declarant(userId))
    }

    /// Bindings naming a certificate (its declarant account, and any admin account signed with it).
    public func bindings(certificateSha256: String) async throws(StoreError) -> [AccountBinding] {
        try await read("read bindings of a certificate") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM binding WHERE certificateSha256 = ? ORDER BY accountKey",
                arguments: [certificateSha256]
            ).map(BindingRow.decode)
        }
    }

    /// Removes a binding and its secrets; returns what was removed, nil when nothing was bound.
    @discardableResult
    public func deleteBinding(_ account: AccountKey, audit: AuditEntry? = nil) async throws(StoreError) -> AccountBinding? {
        let policy = auditPolicy
        return try await write("remove the binding of \(account)") { db in
            guard let existing = try BindingRow.fetch(account, db) else { return nil }
            try db.execute(sql: "DELETE FROM binding WHERE accountKey = ?", arguments: [account.text])
            if let audit { try AuditRow.append(audit, policy: policy, db) }
            return existing
        }
    }

    /// Removes a declarant binding and its secrets.
    @discardableResult
    public func deleteBinding(userId: UserID, audit: AuditEntry? = nil) async throws(StoreError) -> AccountBinding? {
        try await deleteBinding(.declarant(userId), audit: audit)
    }

    /// Rebind: replaces the certificate, statement and signature of the bound account `newBinding.key` (as
    /// `BindingRules.rebind` produced it) and returns the binding it replaced. Account fields never change here.
    /// In the same transaction: host-sealed secrets stay, secrets sealed to another certificate's token are removed
    /// (the new token cannot open them), and `secrets` are stored. A failure changes nothing.
    /// - Throws: `notBound`, `certificateAlreadyBound`, `invalidStoredValue` when the account fields differ.
    @discardableResult
    public func moveBinding(
        to newBinding: AccountBinding, secrets: [SealedSecret] = [], audit: AuditEntry? = nil, consumingStatement statementSha256: String? = nil
    ) async throws(StoreError) -> AccountBinding {
        let policy = auditPolicy
        return try await write("move the binding of \(newBinding.key)") { db in
            if let statementSha256 { try Self.consumeStatement(sha256: statementSha256, at: newBinding.createdAt, db) }
            guard let existing = try BindingRow.fetch(newBinding.key, db) else {
                throw StoreError(.notBound, "account \(newBinding.key) is not bound")
            }
            guard existing.account == newBinding.account else {
                throw StoreError(.invalidStoredValue, "a rebind cannot change the account fields of \(newBinding.key)")
            }
            let row = BindingRow(newBinding)
            try db.execute(
                sql: """
                    UPDATE binding SET certificateSha256 = ?, certificateSerial = ?, issuer = ?, provider = ?,
                        certificateTaxCode = ?, notBefore = ?, notAfter = ?, holderName = ?, holderIdentifiers = ?,
                        statement = ?, signature = ?, createdAt = ?
                    WHERE accountKey = ?
                    """,
                arguments: [
                    row.certificateSha256, row.certificateSerial, row.issuer, row.provider, row.certificateTaxCode,
                    row.notBefore, row.notAfter, row.holderName, row.holderIdentifiers, row.statement, row.signature,
                    row.createdAt, row.accountKey,
                ])
            // Secrets sealed to the old certificate's token cannot be opened by the new one: they go, in the same
            // transaction as the move, and the new secrets (if any) take their place.
            try db.execute(
                sql: "DELETE FROM secret WHERE userId = ? AND sealing = 'token' AND certificateSha256 != ?",
                arguments: [row.accountKey, row.certificateSha256])
            for secret in secrets { try SecretRow.upsert(secret, db) }
            if let audit { try AuditRow.append(audit, policy: policy, db) }
            return existing
        }
    }
}

/// The `binding` table's columns, and the conversion both ways.
struct BindingRow: Sendable {
    var accountKey: String
    var role: String
    var taxCode: String
    var userId: String?
    var terminalId: String?
    var certificateSha256: String
    var certificateSerial: String
    var issuer: String
    var provider: String
    var certificateTaxCode: String
    var notBefore: String
    var notAfter: String
    var holderName: String?
    var holderIdentifiers: String
    var statement: Data
    var signature: Data
    var createdAt: String

    init(_ binding: AccountBinding) {
        accountKey = binding.key.text
        role = binding.account.role.rawValue
        taxCode = binding.account.taxCode.value
        userId = binding.account.userId?.value
        terminalId = binding.account.terminalId?.value
        certificateSha256 = binding.certificate.sha256
        certificateSerial = binding.certificate.serialNumber
        issuer = binding.certificate.issuer
        provider = binding.certificate.provider
        certificateTaxCode = binding.certificate.taxCode.value
        notBefore = RFC3339Seconds.string(from: binding.certificate.notBefore)
        notAfter = RFC3339Seconds.string(from: binding.certificate.notAfter)
        holderName = binding.certificate.holder.commonName
        // JSON of plain strings: identifiers may hold any character, so no separator would be safe.
        holderIdentifiers = String(decoding: try! JSONEncoder().encode(binding.certificate.holder.identifiers), as: UTF8.self)
        statement = Data(binding.statement)
        signature = Data(binding.signature)
        createdAt = RFC3339Seconds.string(from: binding.createdAt)
    }

    func insert(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO binding (accountKey, role, taxCode, userId, terminalId, certificateSha256, certificateSerial,
                    issuer, provider, certificateTaxCode, notBefore, notAfter, holderName, holderIdentifiers, statement,
                    signature, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                accountKey, role, taxCode, userId, terminalId, certificateSha256, certificateSerial, issuer, provider,
                certificateTaxCode, notBefore, notAfter, holderName, holderIdentifiers, statement, signature, createdAt,
            ])
    }

    static func fetch(_ account: AccountKey, _ db: Database) throws -> AccountBinding? {
        try Row.fetchOne(db, sql: "SELECT * FROM binding WHERE accountKey = ?", arguments: [account.text]).map(decode)
    }

    /// Reads a row back through the domain's validating initialisers: a row that no longer validates is reported,
    /// never passed on half-trusted.
    static func decode(_ row: Row) throws -> AccountBinding {
        let key: String = row["accountKey"]
        func invalid(_ what: String) -> StoreError {
            StoreError(.invalidStoredValue, "stored binding \(key): \(what)")
        }
        let account: AccountFields
        let certificateTaxCode: TaxCode
        do {
            account = try AccountFields(role: row["role"], taxCode: row["taxCode"], userId: row["userId"], terminalId: row["terminalId"])
            certificateTaxCode = try TaxCode(row["certificateTaxCode"] as String)
        } catch {
            throw invalid("\(error)")
        }
        guard let notBefore = RFC3339Seconds.date(from: row["notBefore"]),
            let notAfter = RFC3339Seconds.date(from: row["notAfter"]),
            let createdAt = RFC3339Seconds.date(from: row["createdAt"])
        else { throw invalid("unreadable date") }
        guard let identifiers = try? JSONDecoder().decode([String].self, from: Data((row["holderIdentifiers"] as String).utf8)) else {
            throw invalid("unreadable holder identifiers")
        }
        let certificate = BoundCertificate(
            sha256: row["certificateSha256"], serialNumber: row["certificateSerial"], issuer: row["issuer"],
            provider: row["provider"], taxCode: certificateTaxCode, notBefore: notBefore, notAfter: notAfter,
            holder: CertificateHolder(commonName: row["holderName"], identifiers: identifiers))
        let statement: Data = row["statement"]
        let signature: Data = row["signature"]
        return AccountBinding(
            account: account, certificate: certificate, statement: Array(statement), signature: Array(signature),
            createdAt: createdAt)
    }
}
