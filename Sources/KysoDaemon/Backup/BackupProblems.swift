import KysoAPI
import KysoCore
import KysoStore
import KysoText

/// The failures of backup, restore and setting a secret (issue 13), each a catalog message so an answer asked for
/// in Vietnamese (Accept-Language) says what went wrong rather than only the code's general text (issue 14).
/// The English catalog texts are the details these failures always had, so logs, the audit and English answers
/// read as before.
enum BackupProblems {
    static func passphraseTooShort(minimum: Int) -> OperationFailure {
        OperationFailure(.badRequest, Message("problem.backup.passphraseTooShort", ["minimum": String(minimum)]))
    }
    static let notEncoded = OperationFailure(.internalError, Message("problem.backup.notEncoded"))
    static let notEncrypted = OperationFailure(.internalError, Message("problem.backup.notEncrypted"))
    static let noCombinedForm = OperationFailure(.internalError, Message("problem.backup.noCombinedForm"))
    static let secretNotSealed = OperationFailure(.internalError, Message("problem.backup.secretNotSealed"))
    static let scryptFailed = OperationFailure(.internalError, Message("problem.backup.scryptFailed"))

    /// A host-sealed secret this kysod cannot open, so cannot carry; the English detail keeps the sealing's reason.
    static func secretDoesNotOpen(account: String, kind: SecretKind, _ error: SealingError) -> OperationFailure {
        OperationFailure(.secretUnavailable, detail: "\(account) \(kind.rawValue): \(error.reason)",
                         message: Message("problem.backup.secretDoesNotOpen", ["account": account],
                                          parts: ["secret": Message("secret.\(kind.rawValue)"), "reason": sealing(error)]))
    }

    static let notKyso = OperationFailure(.backupUnreadable, Message("problem.backup.notKyso"))
    static func otherVersion(_ version: Int, reads: Int) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.otherVersion", ["version": String(version), "reads": String(reads)]))
    }
    static func kdfRefused(_ kdf: BackupKDF) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.kdfRefused", [
            "name": String(kdf.name.prefix(16)), "rounds": String(kdf.rounds), "blockSize": String(kdf.blockSize),
            "parallelism": String(kdf.parallelism),
        ]))
    }
    static let wrongPassphrase = OperationFailure(.backupUnreadable, Message("problem.backup.wrongPassphrase"))
    static let contentsUnreadable = OperationFailure(.backupUnreadable, Message("problem.backup.contentsUnreadable"))
    static let accountTwice = OperationFailure(.backupUnreadable, Message("problem.backup.accountTwice"))
    static func bindingInvalid(_ account: String) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.bindingInvalid", ["account": account]))
    }
    static func auditOutcome(_ outcome: String) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.auditOutcome", ["outcome": String(outcome.prefix(16))]))
    }
    static let secretNamesNothing = OperationFailure(.backupUnreadable, Message("problem.backup.secretNamesNothing"))
    static func tokenSecretWithoutCertificate(_ account: String) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.tokenSecretWithoutCertificate", ["account": account]))
    }
    static func unknownSealing(_ sealing: String) -> OperationFailure {
        OperationFailure(.backupUnreadable, Message("problem.backup.unknownSealing", ["sealing": String(sealing.prefix(16))]))
    }
    static let backupSecretDoesNotOpen = OperationFailure(.backupUnreadable, Message("problem.backup.backupSecretDoesNotOpen"))

    /// Accounts bound differently here. The English detail names each with the account here and which is newer;
    /// the message names the accounts (a list of sentences is not one catalog text).
    static func conflicts(_ conflicts: [RestoreConflict]) -> OperationFailure {
        let names = conflicts.map { "\($0.account) (here: \($0.currentAccount), \($0.currentIsNewer ? "newer" : "older") than the backup's)" }
        return OperationFailure(.restoreConflict,
                                detail: "bound differently here: \(names.joined(separator: ", ")); choose keep-current or replace",
                                message: Message("problem.restore.conflicts", ["accounts": conflicts.map(\.account).joined(separator: ", ")]))
    }

    /// Sealing failed (host key unusable, certificate unsuitable…): the English detail is the sealing's own reason.
    static func sealingFailed(_ error: SealingError) -> OperationFailure {
        OperationFailure(.sealingFailed, detail: error.reason, message: sealing(error))
    }

    /// A sealing error in words, by its code (its `reason` is English only).
    static func sealing(_ error: SealingError) -> Message { Message("problem.sealing.\(error.code.rawValue)") }

    // Setting a secret (`PUT /v1/bindings/{account}/secrets/{kind}`).
    static let secretKindUnknown = OperationFailure(.badRequest, Message("problem.secretChange.kind"))
    static let secretsAreDeclarants = OperationFailure(.badRequest, Message("problem.secretChange.declarantOnly"))
    static func notBound(_ account: String) -> OperationFailure {
        OperationFailure(.notBound, Message("problem.accountNotBound", ["account": account]))
    }
}
