import Foundation
import KysoCore

/// What a declarant must know about a certificate on a token before using it for customs.
enum CertificateProblems {
    static func `for`(_ profile: CertificateProfile, onToken token: String, hasKey: Bool) -> [Problem] {
        // CA certificates stored beside the user's certificate are normal; judge only end-entity ones.
        guard !profile.isCertificateAuthority else { return [] }
        let name = "\(token): certificate \(profile.serialNumber.hex) (\(profile.commonName ?? profile.subject.rfc4514))"
        var problems: [Problem] = []
        switch profile.status {
        case .expired:
            problems.append(Problem(severity: .error, what: "\(name) expired on \(day(profile.validity.notAfter)).",
                                    fix: "Renew it with \(profile.provider.displayName), then register the new certificate for your VNACCS account."))
        case .notYetValid:
            problems.append(Problem(severity: .warning, what: "\(name) is not valid before \(day(profile.validity.notBefore)).",
                                    fix: "Check the computer's clock; a renewed certificate only works from its start date."))
        case .expiringSoon:
            problems.append(Problem(severity: .warning, what: "\(name) expires in \(profile.daysRemaining) day(s), on \(day(profile.validity.notAfter)).",
                                    fix: "Renew it with \(profile.provider.displayName) now, and re-register the new certificate with customs (changes take about a day)."))
        case .valid:
            break
        }
        if profile.taxCode == nil {
            problems.append(Problem(severity: .note, what: "\(name) carries no tax code (MST).",
                                    fix: "Customs accounts are bound to a business's tax code; use a certificate issued to the business."))
        }
        if !hasKey {
            problems.append(Problem(severity: .note, what: "\(name) has no private key on this token.",
                                    fix: "It cannot sign here; it is a copy of a certificate kept elsewhere."))
        }
        if profile.signatureAlgorithm.usesSHA1 {
            problems.append(Problem(severity: .warning, what: "\(name) is signed with SHA-1.",
                                    fix: "Ask \(profile.provider.displayName) for a SHA-256 certificate; SHA-1 is refused by current systems."))
        }
        return problems
    }

    private static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }
}
