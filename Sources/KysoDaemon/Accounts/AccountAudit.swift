import Crypto
import Foundation
public import KysoAPI
import KysoCore
public import KysoStore

/// The account service's audit: records written before the answer (refused operations past the per-uid threshold
/// only counted), the log read for admins, and what the retention pruned.
extension AccountService {
    /// What the audit retention has pruned, for `GET /v1/status`.
    public var auditStatus: AuditStatus { pruningLog.status }

    public func auditLog(limit: Int) async -> Result<AuditResponse, OperationFailure> {
        do throws(StoreError) {
            let entries = try await database.audit(limit: min(max(limit, 1), 1000))
            return .success(AuditResponse(entries: entries.map {
                .init(id: $0.id, time: $0.time, uid: $0.uid, pid: $0.pid, executable: $0.executable, action: $0.action.rawValue,
                      tokenId: $0.tokenId, certificateSha256: $0.certificateSha256, mechanism: $0.mechanism, dataSha256: $0.dataSha256,
                      outcome: $0.outcome.rawValue, detail: $0.detail)
            }))
        } catch {
            return .failure(AccountProblems.store(error))
        }
    }

    /// The audit record of a signature made through the API (what was signed is kept as its SHA-256 only), for
    /// the writer that queues it (kysod's API).
    public func signatureAuditEntry(_ order: SignatureOrder, result: Result<Signature, OperationFailure>, caller: PeerCredentials) -> AuditEntry {
        let digest: [UInt8] = switch order.content {
        case .data(let data): Array(SHA256.hash(data: data))
        case .digest(let digest): digest
        }
        let outcome: AuditOutcome
        switch result {
        case .success: outcome = .success
        case .failure(let failure): outcome = failure.auditOutcome
        }
        var entry = auditEntry(.sign, caller: caller, certificate: (try? result.get())?.certificateSHA256 ?? order.certificate, data: nil,
                               outcome: outcome, detail: Self.signatureDetail(result.failureCode?.rawValue, origin: order.origin))
        entry.tokenId = order.tokenId
        entry.mechanism = ((try? result.get())?.mechanism ?? order.mechanism)?.rawValue
        entry.dataSha256 = Hex.lowercase(digest)
        return entry
    }

    /// The audit record of a sign request refused before it became an order, from what its body said.
    func refusedSignatureEntry(tokenId: String, _ view: SignRequestAuditView, failure: OperationFailure, caller: PeerCredentials) -> AuditEntry {
        var entry = auditEntry(.sign, caller: caller, certificate: view.certificate, data: nil, outcome: failure.auditOutcome,
                               detail: Self.signatureDetail(failure.code.rawValue, origin: view.origin))
        entry.tokenId = tokenId
        entry.mechanism = view.mechanism ?? SignatureMechanism.rsaPKCS1SHA256.rawValue
        if let digest = view.data.map({ Array(SHA256.hash(data: $0)) }) ?? view.digest.map(Array.init) { entry.dataSha256 = Hex.lowercase(digest) }
        return entry
    }

    /// The problem code, and the web origin a browser signature came from (only one that passed validation:
    /// SigningPlan refuses any other, and a refused text is not worth keeping).
    static func signatureDetail(_ problemCode: String?, origin: String?) -> String? {
        let origin = origin.flatMap { try? BrowserOrigin($0) }.map { "origin \($0.value)" }
        let parts = [problemCode, origin].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Writes the record before the answer; false when it could not be written (it is then in the journal).
    @discardableResult
    func audit(_ action: AuditAction, caller: PeerCredentials, tokenId: String? = nil, certificate: String? = nil,
                       mechanism: String? = nil, data: [UInt8]? = nil, digest: [UInt8]? = nil, outcome: AuditOutcome, detail: String? = nil) async -> Bool {
        var entry = auditEntry(action, caller: caller, certificate: certificate, data: data, outcome: outcome, detail: detail)
        entry.tokenId = tokenId
        entry.mechanism = mechanism
        if let digest { entry.dataSha256 = Hex.lowercase(digest) }
        let admitted = refusals.admit(entry)
        guard !admitted.isEmpty else { return true }
        do throws(StoreError) {
            try await database.appendAudit(admitted)
            signatureAudit.noteWrite(succeeded: true)
            return true
        } catch {
            AuditJournal.log(admitted, error: error, logger: logger)
            signatureAudit.noteWrite(succeeded: false)
            return false
        }
    }

    func auditEntry(_ action: AuditAction, caller: PeerCredentials, certificate: String?, data: [UInt8]?,
                            outcome: AuditOutcome, detail: String?) -> AuditEntry {
        AuditEntry(time: Date(), uid: caller.uid, pid: caller.pid, executable: caller.executable, action: action,
                   certificateSha256: certificate, dataSha256: data.map { Hex.lowercase(SHA256.hash(data: $0)) },
                   outcome: outcome, detail: detail)
    }
}
