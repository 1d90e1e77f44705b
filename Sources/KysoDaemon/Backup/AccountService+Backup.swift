import Foundation
public import KysoAPI
public import KysoCore
import KysoStore

/// Backup and restore for moving kysod to a new machine (issue 13): bindings, secrets and the audit log in one file
/// the administrator keeps (`kyso backup`), read back by another kysod (`kyso restore`). kysod does the database
/// side; `kyso` only carries the file. Host-sealed secrets cannot travel as they are (the host key stays behind), so
/// they are opened here and sealed again under the passphrase; token-sealed ones travel as stored, since the token
/// moves with its certificate.
extension AccountService {
    /// The shortest passphrase a backup takes: it is all that protects host-sealed secrets in the file.
    static let minimumPassphraseLength = 10

    public func backup(passphrase: SecretBytes, caller: PeerCredentials) async -> Result<BackupFile, OperationFailure> {
        guard passphrase.count >= Self.minimumPassphraseLength else {
            let failure = BackupProblems.passphraseTooShort(minimum: Self.minimumPassphraseLength)
            await audit(.backup, caller: caller, outcome: failure.auditOutcome, detail: failure.code.rawValue)
            return .failure(failure)
        }
        do throws(OperationFailure) {
            let snapshot: StoreSnapshot
            do throws(StoreError) { snapshot = try await database.snapshot() } catch { throw AccountProblems.store(error) }
            let kdf = BackupKeys.newParameters()
            let keys = try await BackupKeys.derive(passphrase: passphrase, kdf: kdf)
            var contents = BackupContents(bindings: snapshot.bindings.map(BackupContents.Binding.init), secrets: [],
                                          audit: snapshot.audit.map(BackupContents.Audit.init))
            for secret in snapshot.secrets { contents.secrets.append(try carry(secret, keys: keys)) }
            let createdAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            var file = BackupFile(createdAt: createdAt, kdf: kdf, sealed: Data())
            var plaintext: [UInt8]
            do { plaintext = Array(try APIJSON.encoder().encode(contents)) } catch { throw BackupProblems.notEncoded }
            defer { SecretBytes.wipe(&plaintext) }
            file.sealed = try keys.sealContents(plaintext, header: BackupKeys.header(file))
            let summary = "\(contents.bindings.count) bindings, \(contents.secrets.count) secrets, \(contents.audit.count) audit records"
            // No record, no backup: a copy of every secret nobody can trace must not leave.
            guard await audit(.backup, caller: caller, outcome: .success, detail: summary) else { throw AuditJournal.unavailable }
            logger.notice("backup written", metadata: ["contents": "\(summary)", "uid": "\(caller.uid)"])
            return .success(file)
        } catch {
            await audit(.backup, caller: caller, outcome: error.auditOutcome, detail: error.code.rawValue)
            return .failure(error)
        }
    }

    /// A stored secret as the backup carries it.
    private func carry(_ secret: SealedSecret, keys: BackupKeys) throws(OperationFailure) -> BackupContents.Secret {
        switch secret.sealing {
        case .token(let certificate, let oaep):
            return BackupContents.Secret(userId: secret.userId.value, kind: secret.kind.rawValue, sealing: "token", certificateSha256: certificate,
                                         oaep: oaep.rawValue, ciphertext: Data(secret.ciphertext), createdAt: secret.createdAt)
        case .host:
            var plain: [UInt8]
            do throws(SealingError) { plain = try secrets.host.openSecret(secret) } catch {
                throw BackupProblems.secretDoesNotOpen(account: secret.userId.value, kind: secret.kind, error)
            }
            defer { SecretBytes.wipe(&plain) }
            let sealed = try keys.sealSecret(plain, context: SealedSecret.context(userId: secret.userId, kind: secret.kind))
            return BackupContents.Secret(userId: secret.userId.value, kind: secret.kind.rawValue, sealing: "passphrase", certificateSha256: nil,
                                         oaep: nil, ciphertext: sealed, createdAt: secret.createdAt)
        }
    }

    public func restore(_ request: RestoreRequest, caller: PeerCredentials) async -> Result<RestoreReport, OperationFailure> {
        let dryRun = request.dryRun ?? false
        do throws(OperationFailure) {
            let file = request.backup
            guard file.format == BackupFile.formatName else { throw BackupProblems.notKyso }
            guard file.version == BackupFile.currentVersion else {
                throw BackupProblems.otherVersion(file.version, reads: BackupFile.currentVersion)
            }
            let keys = try await BackupKeys.derive(passphrase: request.passphrase, kdf: file.kdf)
            var plaintext = try keys.openContents(file.sealed, header: BackupKeys.header(file))
            defer { SecretBytes.wipe(&plaintext) }
            let contents: BackupContents
            do { contents = try APIJSON.decoder().decode(BackupContents.self, from: Data(plaintext)) } catch {
                throw BackupProblems.contentsUnreadable
            }
            let plan = try RestoreDecision(backup: try contents.bindings.map { b throws(OperationFailure) in try b.binding() },
                                           current: bindings, choice: request.onConflict)
            if !plan.conflicts.isEmpty, request.onConflict == nil, !dryRun {
                throw BackupProblems.conflicts(plan.conflicts)
            }
            let storedSecrets = try restoredSecrets(contents.secrets, for: plan.writing, keys: keys)
            let audit = try contents.audit.map { a throws(OperationFailure) in try a.entry() }
            var report = plan.report(dryRun: dryRun, backupCreatedAt: file.createdAt, secrets: storedSecrets.count, auditRecords: audit.count)
            if dryRun { return .success(report) }
            let entry = auditEntry(.restore, caller: caller, certificate: nil, data: nil, outcome: .success,
                                   detail: "restored \(report.restored.count), replaced \(report.replaced.count), kept \(report.kept.count), "
                                       + "unchanged \(report.unchanged.count); backup of \(RFC3339Seconds.string(from: file.createdAt))")
            do throws(StoreError) {
                report.auditRecords = try await database.restore(
                    RestorePlan(removing: plan.removing, bindings: plan.writing, secrets: storedSecrets, audit: audit), audit: entry)
                let stored = try await database.bindings()
                cache.withLock { $0 = stored }
                let index = try await database.secretIndex()
                secretIndex.withLock { $0 = index.mapValues(Self.byName) }
            } catch {
                throw AccountProblems.store(error)
            }
            for binding in plan.writing {
                let info = self.info(account: binding.key.text)
                inventory.publish(.bindingCreated, EventData(binding: info, account: binding.key.text))
            }
            logger.notice("backup restored", metadata: ["restored": "\(report.restored.count)", "replaced": "\(report.replaced.count)",
                                                        "kept": "\(report.kept.count)", "uid": "\(caller.uid)"])
            await announce()
            return .success(report)
        } catch {
            // Dry runs too: `kyso restore` tries the passphrase with one first, and wrong passphrases are worth a record.
            await audit(.restore, caller: caller, outcome: error.auditOutcome, detail: error.code.rawValue + (dryRun ? " (dry run)" : ""))
            return .failure(error)
        }
    }

    /// The backup's secrets of the accounts being written, sealed as this kysod stores them: passphrase-sealed ones
    /// opened and sealed again with this host's key, token-sealed ones as they came.
    private func restoredSecrets(_ carried: [BackupContents.Secret], for writing: [AccountBinding],
                                 keys: BackupKeys) throws(OperationFailure) -> [SealedSecret] {
        let accounts = Set(writing.compactMap(\.account.userId?.value))
        var sealed: [SealedSecret] = []
        for secret in carried where accounts.contains(secret.userId) {
            guard let userId = try? UserID(secret.userId), let kind = SecretKind(rawValue: secret.kind) else {
                throw BackupProblems.secretNamesNothing
            }
            switch secret.sealing {
            case "token":
                guard let certificate = secret.certificateSha256, let oaep = OAEPHash(rawValue: secret.oaep ?? "") else {
                    throw BackupProblems.tokenSecretWithoutCertificate(userId.value)
                }
                sealed.append(SealedSecret(userId: userId, kind: kind, sealing: .token(certificateSha256: certificate, oaep: oaep),
                                           ciphertext: Array(secret.ciphertext), createdAt: secret.createdAt))
            case "passphrase":
                var plain = try keys.openSecret(secret.ciphertext, context: SealedSecret.context(userId: userId, kind: kind))
                defer { SecretBytes.wipe(&plain) }
                do throws(SealingError) {
                    sealed.append(try secrets.host.sealSecret(plain, userId: userId, kind: kind, createdAt: secret.createdAt))
                } catch {
                    throw BackupProblems.sealingFailed(error)
                }
            default:
                throw BackupProblems.unknownSealing(secret.sealing)
            }
        }
        return sealed
    }
}
