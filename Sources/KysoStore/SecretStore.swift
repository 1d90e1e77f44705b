public import Foundation
public import KysoCore
import GRDB

/// Which account secret a sealed value holds.

/// The hash of a token sealing's RSA-OAEP (label hash and MGF1 alike). SHA-256 where the token takes it; SHA-1 for
/// tokens that take only SHA-1 with OAEP (SoftHSM 2.6 among them).
public enum OAEPHash: String, Sendable, Hashable, CaseIterable, Codable {
    case sha256
    case sha1
}

/// How a secret is encrypted.
public enum SecretSealing: Sendable, Hashable {
    /// RSA-OAEP to the public key of this certificate: revealing needs its token and PIN (`CertificateSealer`).
    case token(certificateSha256: String, oaep: OAEPHash)
    /// AES-256-GCM with the daemon's host key (`HostSealer`).
    case host

    /// The certificate a token sealing belongs to.
    public var certificateSha256: String? {
        if case .token(let sha256, _) = self { sha256 } else { nil }
    }

    /// `token` or `host`, as the API shows it.
    public var name: String {
        switch self {
        case .token: "token"
        case .host: "host"
        }
    }
}

/// An account secret as stored: only ciphertext, never the value.
public struct SealedSecret: Sendable, Hashable {
    public let userId: UserID
    public let kind: SecretKind
    public let sealing: SecretSealing
    /// The sealer's output (for the host sealer: nonce, ciphertext and tag in one).
    public let ciphertext: [UInt8]
    /// Whole seconds.
    public let createdAt: Date

    public init(userId: UserID, kind: SecretKind, sealing: SecretSealing, ciphertext: [UInt8], createdAt: Date) {
        self.userId = userId
        self.kind = kind
        self.sealing = sealing
        self.ciphertext = ciphertext
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
    }

    /// The associated data / context both sealers bind a ciphertext to, so a ciphertext copied to another account
    /// or kind does not open.
    public static func context(userId: UserID, kind: SecretKind) -> [UInt8] {
        Array("kyso-secret-v1\u{0}\(userId.value)\u{0}\(kind.rawValue)".utf8)
    }
}

extension KysoDatabase {
    /// Stores (or replaces) a secret of a bound declarant account, optionally with its audit record.
    /// - Throws: `notBound` when the account is not bound.
    public func storeSecret(_ secret: SealedSecret, audit: AuditEntry? = nil) async throws(StoreError) {
        let policy = auditPolicy
        try await write("store a secret of \(secret.userId)") { db in
            try SecretRow.upsert(secret, db)
            if let audit { try AuditRow.append(audit, policy: policy, db) }
        }
    }

    /// One secret, still sealed, or nil.
    public func secret(userId: UserID, kind: SecretKind) async throws(StoreError) -> SealedSecret? {
        try await read("read a secret of \(userId)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM secret WHERE userId = ? AND kind = ?", arguments: [userId.value, kind.rawValue]
            ).map(SecretRow.decode)
        }
    }

    /// Which secrets an account has stored (kinds only; no ciphertext leaves for a listing).
    public func secretKinds(userId: UserID) async throws(StoreError) -> [SecretKind] {
        try await read("list secrets of \(userId)") { db in
            try String.fetchAll(db, sql: "SELECT kind FROM secret WHERE userId = ? ORDER BY kind", arguments: [userId.value])
                .compactMap(SecretKind.init(rawValue:))
        }
    }

    /// Every stored secret's kind and sealing (`token` or `host`), by account (User ID), or one account's only:
    /// what listings show, without any ciphertext.
    public func secretIndex(userId: UserID? = nil) async throws(StoreError) -> [String: [SecretKind: String]] {
        try await read("list stored secrets") { db in
            var index: [String: [SecretKind: String]] = [:]
            let rows = if let userId {
                try Row.fetchAll(db, sql: "SELECT userId, kind, sealing FROM secret WHERE userId = ?", arguments: [userId.value])
            } else {
                try Row.fetchAll(db, sql: "SELECT userId, kind, sealing FROM secret")
            }
            for row in rows {
                guard let kind = SecretKind(rawValue: row["kind"]) else { continue }
                index[row["userId"], default: [:]][kind] = row["sealing"] as String
            }
            return index
        }
    }

    /// Removes every secret of an account; returns how many were removed.
    @discardableResult
    public func deleteSecrets(userId: UserID, audit: AuditEntry? = nil) async throws(StoreError) -> Int {
        let policy = auditPolicy
        return try await write("remove secrets of \(userId)") { db in
            try db.execute(sql: "DELETE FROM secret WHERE userId = ?", arguments: [userId.value])
            let removed = db.changesCount
            if let audit { try AuditRow.append(audit, policy: policy, db) }
            return removed
        }
    }
}

enum SecretRow {
    static func upsert(_ secret: SealedSecret, _ db: Database) throws {
        let (certificate, oaep): (String?, String?) =
            switch secret.sealing {
            case .token(let sha256, let oaep): (sha256, oaep.rawValue)
            case .host: (nil, nil)
            }
        try db.execute(
            sql: """
                INSERT INTO secret (userId, kind, sealing, certificateSha256, oaepHash, ciphertext, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (userId, kind) DO UPDATE SET sealing = excluded.sealing,
                    certificateSha256 = excluded.certificateSha256, oaepHash = excluded.oaepHash,
                    ciphertext = excluded.ciphertext, createdAt = excluded.createdAt
                """,
            arguments: [
                secret.userId.value, secret.kind.rawValue, secret.sealing.name, certificate, oaep, Data(secret.ciphertext),
                RFC3339Seconds.string(from: secret.createdAt),
            ])
    }

    static func decode(_ row: Row) throws -> SealedSecret {
        let userText: String = row["userId"]
        let invalid = StoreError(.invalidStoredValue, "stored secret of \(userText) is unreadable")
        guard let userId = try? UserID(userText), let kind = SecretKind(rawValue: row["kind"]),
            let createdAt = RFC3339Seconds.date(from: row["createdAt"])
        else { throw invalid }
        let sealing: SecretSealing
        switch row["sealing"] as String {
        case "token":
            guard let certificate: String = row["certificateSha256"] else { throw invalid }
            // Rows from before the hash was recorded were sealed with SHA-256.
            let hash: String = row["oaepHash"] ?? OAEPHash.sha256.rawValue
            guard let oaep = OAEPHash(rawValue: hash) else { throw invalid }
            sealing = .token(certificateSha256: certificate, oaep: oaep)
        case "host":
            sealing = .host
        default:
            throw invalid
        }
        let ciphertext: Data = row["ciphertext"]
        return SealedSecret(userId: userId, kind: kind, sealing: sealing, ciphertext: Array(ciphertext), createdAt: createdAt)
    }
}
