import Foundation
import KysoText
import KysoCore

/// What a declarant must know about a certificate on a token before using it for customs.
enum CertificateProblems {
    static func `for`(_ profile: CertificateProfile, onToken token: String, hasKey: Bool) -> [Problem] {
        // CA certificates stored beside the user's certificate are normal; judge only end-entity ones.
        guard !profile.isCertificateAuthority else { return [] }
        let name = tr("doctor.certificate.name", ["token": token, "serial": profile.serialNumber.hex,
                                                  "holder": profile.commonName ?? profile.subject.rfc4514])
        let ca = profile.provider.displayName
        var problems: [Problem] = []
        switch profile.status {
        case .expired:
            problems.append(Problem(severity: .error, what: tr("doctor.certificate.expired.what", ["certificate": name, "day": day(profile.validity.notAfter)]),
                                    fix: tr("doctor.certificate.expired.fix", ["ca": ca])))
        case .notYetValid:
            problems.append(Problem(severity: .warning, what: tr("doctor.certificate.notYetValid.what", ["certificate": name, "day": day(profile.validity.notBefore)]),
                                    fix: tr("doctor.certificate.notYetValid.fix")))
        case .expiringSoon:
            problems.append(Problem(severity: .warning, what: tr("doctor.certificate.expiring.what", ["certificate": name, "days": tr.number(profile.daysRemaining),
                                                                                                    "day": day(profile.validity.notAfter)]),
                                    fix: tr("doctor.certificate.expiring.fix", ["ca": ca])))
        case .valid:
            break
        }
        if profile.taxCode == nil {
            problems.append(Problem(severity: .note, what: tr("doctor.certificate.noTaxCode.what", ["certificate": name]),
                                    fix: tr("doctor.certificate.noTaxCode.fix")))
        }
        if !hasKey {
            problems.append(Problem(severity: .note, what: tr("doctor.certificate.noKey.what", ["certificate": name]),
                                    fix: tr("doctor.certificate.noKey.fix")))
        }
        if profile.signatureAlgorithm.usesSHA1 {
            problems.append(Problem(severity: .warning, what: tr("doctor.certificate.sha1.what", ["certificate": name]),
                                    fix: tr("doctor.certificate.sha1.fix", ["ca": ca])))
        }
        return problems
    }

    private static func day(_ date: Date) -> String { tr.date(date) }
}
