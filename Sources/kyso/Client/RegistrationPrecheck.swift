import Foundation
import KysoAPI
import KysoCore

/// Everything about a registration that needs no token, checked before the PIN is asked and reported all at once
/// (issue 13 friction: User ID length, a missing Terminal ID, the tax code's check digit, an expired certificate
/// came one at a time, each after the PIN). kysod checks all of it again; this only spares a PIN and a round trip.
enum RegistrationPrecheck {
    /// The problems, each in the words of kyso's flags with kysod's code in brackets; empty when there are none.
    static func problems(role: AccountRole, taxCode: String, userId: String?, terminalId: String?, certificate: CertificateProfile?,
                         now: Date = Date()) -> [String] {
        var problems: [String] = []
        var accountTaxCode: TaxCode?
        do {
            accountTaxCode = try TaxCode(taxCode)
        } catch {
            problems.append("--tax-code \(taxCode): \(error) [invalid-field taxCode]")
        }
        switch role {
        case .admin:
            if userId != nil { problems.append("--user-id: an admin account has no User ID; it is named by its tax code [invalid-field userId]") }
            if terminalId != nil { problems.append("--terminal-id: an admin account has no Terminal ID [invalid-field terminalId]") }
        case .declarant:
            if let userId {
                do { _ = try UserID(userId) } catch { problems.append("--user-id \(userId): \(error.reason) [invalid-field userId]") }
            } else {
                problems.append("--user-id is needed for a declarant account: 8 letters or digits [invalid-field userId]")
            }
            if let terminalId {
                do { _ = try TerminalID(terminalId) } catch { problems.append("--terminal-id \(terminalId): \(error.reason) [invalid-field terminalId]") }
            } else {
                problems.append("--terminal-id is needed for a declarant account: exactly 6 letters or digits [invalid-field terminalId]")
            }
        }
        if let certificate {
            let status = CertificateStatus(validity: certificate.validity, now: now)
            if status == .expired {
                problems.append("the certificate expired on \(BindingText.day(certificate.validity.notAfter)) [certificate-expired]")
            } else if status == .notYetValid {
                problems.append("the certificate is not valid before \(BindingText.day(certificate.validity.notBefore)) [certificate-not-yet-valid]")
            }
            if let accountTaxCode, !(certificate.taxCode?.servesAccount(of: accountTaxCode) ?? false) {
                problems.append("the certificate's tax code \(certificate.taxCode?.value ?? "(none)") is neither --tax-code \(accountTaxCode.value) "
                    + "nor one of its branches [tax-code-mismatch]")
            }
        }
        return problems
    }
}
