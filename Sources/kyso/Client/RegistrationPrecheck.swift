import Foundation
import KysoAPI
import KysoCore
import KysoText

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
            problems.append(tr("precheck.value", ["option": "--tax-code", "value": taxCode, "reason": tr(error.message), "code": "invalid-field taxCode"]))
        }
        switch role {
        case .admin:
            if userId != nil { problems.append(tr("precheck.adminUserId")) }
            if terminalId != nil { problems.append(tr("precheck.adminTerminalId")) }
        case .declarant:
            if let userId {
                do { _ = try UserID(userId) } catch {
                    problems.append(tr("precheck.value", ["option": "--user-id", "value": userId, "reason": tr(error.message), "code": "invalid-field userId"]))
                }
            } else {
                problems.append(tr("precheck.userIdMissing"))
            }
            if let terminalId {
                do { _ = try TerminalID(terminalId) } catch {
                    problems.append(tr("precheck.value", ["option": "--terminal-id", "value": terminalId, "reason": tr(error.message), "code": "invalid-field terminalId"]))
                }
            } else {
                problems.append(tr("precheck.terminalIdMissing"))
            }
        }
        if let certificate {
            let status = CertificateStatus(validity: certificate.validity, now: now)
            if status == .expired {
                problems.append(tr("precheck.expired", ["day": BindingText.day(certificate.validity.notAfter)]))
            } else if status == .notYetValid {
                problems.append(tr("precheck.notYetValid", ["day": BindingText.day(certificate.validity.notBefore)]))
            }
            if let accountTaxCode, !(certificate.taxCode?.servesAccount(of: accountTaxCode) ?? false) {
                problems.append(tr("precheck.taxCodeMismatch", ["certificateTaxCode": certificate.taxCode?.value ?? tr("precheck.none"),
                                                                "taxCode": accountTaxCode.value]))
            }
        }
        return problems
    }
}
