public import Foundation
public import KysoCore

/// A backup file as `kyso backup` writes it: kysod's bindings, sealed secrets and audit log, for moving to a new
/// machine (issue 13). Everything but this header is encrypted and authenticated with AES-256-GCM under a key
/// derived from the administrator's passphrase with scrypt; the header is the cipher's associated data, so a changed
/// version, date or KDF parameter fails like a changed byte of the contents.
public struct BackupFile: Codable, Sendable, Equatable {
    public static let formatName = "kyso-backup"
    public static let currentVersion = 1

    /// Always `kyso-backup`.
    public var format: String
    /// 1. A kysod refuses versions it does not know rather than guess.
    public var version: Int
    public var createdAt: Date
    public var kdf: BackupKDF
    /// Nonce, ciphertext and tag (AES-GCM combined form) of the contents.
    public var sealed: Data

    public init(format: String = Self.formatName, version: Int = Self.currentVersion, createdAt: Date, kdf: BackupKDF, sealed: Data) {
        self.format = format
        self.version = version
        self.createdAt = createdAt
        self.kdf = kdf
        self.sealed = sealed
    }
}

/// The passphrase's key derivation: scrypt (RFC 7914) as swift-crypto's `KDF.Scrypt` implements it.
public struct BackupKDF: Codable, Sendable, Equatable {
    /// Always `scrypt`.
    public var name: String
    public var salt: Data
    /// N, a power of two.
    public var rounds: Int
    /// r.
    public var blockSize: Int
    /// p.
    public var parallelism: Int

    public init(name: String = "scrypt", salt: Data, rounds: Int, blockSize: Int, parallelism: Int) {
        self.name = name
        self.salt = salt
        self.rounds = rounds
        self.blockSize = blockSize
        self.parallelism = parallelism
    }
}

/// `POST /v1/backup`: the passphrase that protects the backup (host-sealed secrets are re-sealed under it).
public struct BackupRequest: Codable, Sendable {
    public var passphrase: SecretBytes
    public init(passphrase: SecretBytes) { self.passphrase = passphrase }
}

/// What a restore does with an account bound differently here and in the backup.
public enum RestoreChoice: String, Codable, Sendable, CaseIterable {
    /// Keep the binding here; the backup's is skipped.
    case keepCurrent = "keep-current"
    /// The backup's binding replaces the one here (and its secrets).
    case replace
}

/// `POST /v1/restore`: a backup file, its passphrase, and what to do about conflicts. Without `onConflict` a
/// restore that finds any stops before changing anything (`409 restore-conflict`); `dryRun` reports what would
/// happen and changes nothing.
public struct RestoreRequest: Codable, Sendable {
    public var backup: BackupFile
    public var passphrase: SecretBytes
    public var onConflict: RestoreChoice?
    public var dryRun: Bool?

    public init(backup: BackupFile, passphrase: SecretBytes, onConflict: RestoreChoice? = nil, dryRun: Bool? = nil) {
        self.backup = backup
        self.passphrase = passphrase
        self.onConflict = onConflict
        self.dryRun = dryRun
    }
}

/// What a restore did (or, with `dryRun`, would do), account by account.
public struct RestoreReport: Codable, Sendable, Equatable {
    public var dryRun: Bool
    public var backupCreatedAt: Date
    /// Accounts added from the backup.
    public var restored: [String]
    /// Accounts bound here exactly as in the backup.
    public var unchanged: [String]
    /// Conflicting accounts whose binding here was kept (`keep-current`).
    public var kept: [String]
    /// Conflicting accounts whose binding here the backup's replaced (`replace`).
    public var replaced: [String]
    public var conflicts: [RestoreConflict]
    /// Secrets stored with the restored and replaced accounts.
    public var secrets: Int
    /// Audit records added (those already here are not added twice).
    public var auditRecords: Int

    public init(dryRun: Bool, backupCreatedAt: Date, restored: [String], unchanged: [String], kept: [String], replaced: [String],
                conflicts: [RestoreConflict], secrets: Int, auditRecords: Int) {
        self.dryRun = dryRun
        self.backupCreatedAt = backupCreatedAt
        self.restored = restored
        self.unchanged = unchanged
        self.kept = kept
        self.replaced = replaced
        self.conflicts = conflicts
        self.secrets = secrets
        self.auditRecords = auditRecords
    }
}

/// One account the backup and this kysod disagree on.
public struct RestoreConflict: Codable, Sendable, Equatable {
    /// The backup's account (a User ID, or an admin account's tax code).
    public var account: String
    /// The account bound here that stands in the way: the same account on another certificate, or another
    /// declarant account on the backup's certificate.
    public var currentAccount: String
    public var currentCertificateSerial: String
    public var currentCreatedAt: Date
    public var backupCertificateSerial: String
    public var backupCreatedAt: Date
    /// Whether the binding here was made after the backup's: replacing it would go back in time.
    public var currentIsNewer: Bool

    public init(account: String, currentAccount: String, currentCertificateSerial: String, currentCreatedAt: Date,
                backupCertificateSerial: String, backupCreatedAt: Date) {
        self.account = account
        self.currentAccount = currentAccount
        self.currentCertificateSerial = currentCertificateSerial
        self.currentCreatedAt = currentCreatedAt
        self.backupCertificateSerial = backupCertificateSerial
        self.backupCreatedAt = backupCreatedAt
        currentIsNewer = currentCreatedAt > backupCreatedAt
    }
}
