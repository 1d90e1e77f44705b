import Foundation
import KysoAPI
import KysoCore

/// What a restore does with each of the backup's bindings, decided before anything is written. A binding here that
/// differs from the backup's (the same account on another certificate or bound at another time, or the backup's
/// certificate serving another declarant account here) is a conflict: never overwritten unless the administrator
/// chose `replace`, and reported whichever the choice.
struct RestoreDecision {
    private(set) var restored: [AccountBinding] = []
    private(set) var unchanged: [String] = []
    private(set) var kept: [String] = []
    private(set) var replaced: [AccountBinding] = []
    /// Bindings here that `replace` removes.
    private(set) var removing: [AccountKey] = []
    private(set) var conflicts: [RestoreConflict] = []

    /// The bindings to write: the new ones and those replacing a binding here.
    var writing: [AccountBinding] { restored + replaced }

    init(backup: [AccountBinding], current: [AccountBinding], choice: RestoreChoice?) throws(OperationFailure) {
        guard Set(backup.map(\.key)).count == backup.count else {
            throw BackupProblems.accountTwice
        }
        for binding in backup {
            let sameAccount = current.first { $0.key == binding.key }
            if let sameAccount, sameAccount.certificate.sha256 == binding.certificate.sha256, sameAccount.createdAt == binding.createdAt {
                unchanged.append(binding.key.text)
                continue
            }
            // What stands in the way: this account bound otherwise, or (declarants) the certificate serving another.
            var blocking = sameAccount.map { [$0] } ?? []
            if binding.account.role == .declarant {
                blocking += current.filter { $0.key != binding.key && $0.account.role == .declarant && $0.certificate.sha256 == binding.certificate.sha256 }
            }
            guard !blocking.isEmpty else {
                restored.append(binding)
                continue
            }
            for other in blocking {
                conflicts.append(RestoreConflict(
                    account: binding.key.text, currentAccount: other.key.text, currentCertificateSerial: other.certificate.serialNumber,
                    currentCreatedAt: other.createdAt, backupCertificateSerial: binding.certificate.serialNumber,
                    backupCreatedAt: binding.createdAt))
            }
            switch choice {
            case .replace:
                replaced.append(binding)
                removing += blocking.map(\.key).filter { !removing.contains($0) }
            case .keepCurrent, nil:
                kept.append(binding.key.text)
            }
        }
    }

    func report(dryRun: Bool, backupCreatedAt: Date, secrets: Int, auditRecords: Int) -> RestoreReport {
        RestoreReport(dryRun: dryRun, backupCreatedAt: backupCreatedAt, restored: restored.map(\.key.text), unchanged: unchanged,
                      kept: kept, replaced: replaced.map(\.key.text), conflicts: conflicts, secrets: secrets, auditRecords: auditRecords)
    }
}
