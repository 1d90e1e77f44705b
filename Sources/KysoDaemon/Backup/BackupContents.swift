import Foundation
import KysoAPI
import KysoCore
import KysoStore

/// What a backup file holds once opened (JSON, then sealed with `BackupKeys.contents`). Bindings are read back
/// through the domain's validating initialisers, as the store reads its rows: an opened backup is still checked.
struct BackupContents: Codable {
    var bindings: [Binding]
    var secrets: [Secret]
    var audit: [Audit]

    struct Binding: Codable {
        var account: AccountFields
        var sha256: String
        var serialNumber: String
        var issuer: String
        var provider: String
        var certificateTaxCode: String
        var notBefore: Date
        var notAfter: Date
        var holder: CertificateHolder
        var statement: Data
        var signature: Data
        var createdAt: Date

        init(_ binding: AccountBinding) {
            account = binding.account
            let certificate = binding.certificate
            sha256 = certificate.sha256
            serialNumber = certificate.serialNumber
            issuer = certificate.issuer
            provider = certificate.provider
            certificateTaxCode = certificate.taxCode.value
            notBefore = certificate.notBefore
            notAfter = certificate.notAfter
            holder = certificate.holder
            statement = Data(binding.statement)
            signature = Data(binding.signature)
            createdAt = binding.createdAt
        }

        func binding() throws(OperationFailure) -> AccountBinding {
            guard let taxCode = try? TaxCode(certificateTaxCode), sha256.count == 64, sha256.allSatisfy(\.isHexDigit),
                  !statement.isEmpty, !signature.isEmpty
            else { throw BackupProblems.bindingInvalid(account.key.text) }
            return AccountBinding(
                account: account,
                certificate: BoundCertificate(sha256: sha256.lowercased(), serialNumber: serialNumber, issuer: issuer, provider: provider,
                                              taxCode: taxCode, notBefore: notBefore, notAfter: notAfter, holder: holder),
                statement: Array(statement), signature: Array(signature), createdAt: createdAt)
        }
    }

    /// A secret as the backup keeps it: a token sealing as stored (the token moves with the certificate), a host
    /// sealing opened with this kysod's host key and sealed again with the passphrase's key (`passphrase`).
    struct Secret: Codable {
        var userId: String
        var kind: String
        /// `token` or `passphrase`.
        var sealing: String
        var certificateSha256: String?
        var oaep: String?
        var ciphertext: Data
        var createdAt: Date
    }

    /// An audit record; the time in milliseconds, as the log keeps it.
    struct Audit: Codable {
        var timeMilliseconds: Int64
        var uid: UInt32?
        var pid: Int32?
        var executable: String?
        var action: String
        var tokenId: String?
        var certificateSha256: String?
        var mechanism: String?
        var dataSha256: String?
        var outcome: String
        var detail: String?

        init(_ entry: AuditEntry) {
            // Rounded, not cut: the store's Date came from whole milliseconds, and may lie a hair under one.
            timeMilliseconds = Int64((entry.time.timeIntervalSince1970 * 1000).rounded())
            uid = entry.uid
            pid = entry.pid
            executable = entry.executable
            action = entry.action.rawValue
            tokenId = entry.tokenId
            certificateSha256 = entry.certificateSha256
            mechanism = entry.mechanism
            dataSha256 = entry.dataSha256
            outcome = entry.outcome.rawValue
            detail = entry.detail
        }

        func entry() throws(OperationFailure) -> AuditEntry {
            guard let outcome = AuditOutcome(rawValue: outcome) else {
                throw BackupProblems.auditOutcome(outcome)
            }
            return AuditEntry(time: Date(timeIntervalSince1970: Double(timeMilliseconds) / 1000), uid: uid, pid: pid,
                              executable: executable, action: AuditAction(rawValue: action), tokenId: tokenId,
                              certificateSha256: certificateSha256, mechanism: mechanism, dataSha256: dataSha256, outcome: outcome,
                              detail: detail)
        }
    }
}
