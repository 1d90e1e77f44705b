import KysoAPI
import KysoCore

extension AccountBinding {
    /// - Parameter secrets: the stored secrets' kinds and sealings (`token` or `host`).
    func info(secrets: [String: String], certificatePresent: Bool) -> BindingInfo {
        BindingInfo(
            account: key.text, role: account.role, taxCode: account.taxCode.value, userId: account.userId?.value,
            terminalId: account.terminalId?.value,
            certificate: BoundCertificateInfo(
                sha256: certificate.sha256, serialNumber: certificate.serialNumber, issuer: certificate.issuer,
                provider: certificate.provider, taxCode: certificate.taxCode.value, notBefore: certificate.notBefore,
                notAfter: certificate.notAfter),
            createdAt: createdAt, secrets: secrets.keys.sorted(), sealedToToken: secrets.filter { $0.value == "token" }.keys.sorted(),
            certificatePresent: certificatePresent, warnings: RegistrationProof.warnings(provider: certificate.provider))
    }

    var summary: AccountSummary {
        AccountSummary(account: key.text, role: account.role, userId: account.userId?.value, terminalId: account.terminalId?.value)
    }
}
