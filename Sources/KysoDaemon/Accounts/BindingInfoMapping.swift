import KysoAPI
import KysoCore

extension AccountBinding {
    func info(secrets: [String], certificatePresent: Bool) -> BindingInfo {
        BindingInfo(
            account: key.text, role: account.role.rawValue, taxCode: account.taxCode.value, userId: account.userId?.value,
            terminalId: account.terminalId?.value,
            certificate: BoundCertificateInfo(
                sha256: certificate.sha256, serialNumber: certificate.serialNumber, issuer: certificate.issuer,
                provider: certificate.provider, taxCode: certificate.taxCode.value, notBefore: certificate.notBefore,
                notAfter: certificate.notAfter),
            createdAt: createdAt, secrets: secrets, certificatePresent: certificatePresent)
    }

    var summary: AccountSummary {
        AccountSummary(account: key.text, role: account.role.rawValue, userId: account.userId?.value, terminalId: account.terminalId?.value)
    }
}
