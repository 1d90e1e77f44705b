import KysoAPI
import KysoCore
import KysoStore

/// What makes a signed statement a registration proof, beyond the binding rules: the signature covers the
/// registration context and the statement (never the statement alone), it was made by the certificate the statement
/// names, and this kysod's registration endpoint issued the statement and it was never bound before.
enum RegistrationProof {
    /// Whether `signature` is a detached CMS by the certificate `certificateDER` over the context and `statement`.
    static func verifies(statement: [UInt8], signature: [UInt8], certificateDER: [UInt8]) async -> Bool {
        let content = RegistrationSigning.signedContent(statement: statement)
        guard let signer = await DetachedCMS.signerCertificate(signature, data: content) else { return false }
        return signer == certificateDER
    }

    /// Refuses a statement the ledger does not hold as issued and unused, before the token or store is touched.
    /// (The binding's transaction checks again, so two racing binds cannot both use one statement.)
    static func ledgerProblem(_ state: KysoDatabase.StatementState) -> OperationFailure? {
        switch state {
        case .issued: nil
        case .notIssued: AccountProblems.store(StoreError(.statementNotIssued, "this registration statement was not signed by this kysod's registration endpoint (or is older than a day); register again"))
        case .consumed: AccountProblems.store(StoreError(.statementAlreadyUsed, "this registration statement was bound once already; an unbind does not make it new: register again"))
        }
    }

    /// The warnings an answer about this certificate carries (`unknown-ca` when its issuer is not in the CA table).
    static func warnings(provider: String) -> [String]? {
        provider == CertificateAuthorityProvider.unknown.rawValue ? ["unknown-ca"] : nil
    }
}
