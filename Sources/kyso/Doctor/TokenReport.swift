import Foundation
import KysoText
import KysoCore
import TokenScan

/// Turns a scanned token into the doctor's section and the problems a declarant should know about.
enum TokenReport {
    static func section(for token: ScannedToken, now: Date) -> (TokenSection, [Problem]) {
        var problems: [Problem] = []
        let name = tr("doctor.token.name", ["label": token.info.label, "serial": token.info.serialNumber])
        let pin = token.pinStatus
        guard token.info.flags.contains(.tokenInitialized) else {
            let blank = Problem(severity: .note, what: tr("doctor.token.blank.what", ["slot": String(token.slot), "description": token.slotDescription]),
                                fix: tr("doctor.token.blank.fix"))
            return (section(token, pin: pin, certificates: []), [blank])
        }
        switch pin.state {
        case .locked:
            problems.append(Problem(severity: .error, what: tr("doctor.pin.locked.what", ["token": name]), fix: tr("doctor.pin.locked.fix")))
        case .finalTry:
            problems.append(Problem(severity: .warning, what: tr("doctor.pin.finalTry.what", ["token": name]), fix: tr("doctor.pin.finalTry.fix")))
        case .countLow:
            problems.append(Problem(severity: .note, what: tr("doctor.pin.countLow.what", ["token": name]), fix: tr("doctor.pin.countLow.fix")))
        case .notInitialized:
            problems.append(Problem(severity: .warning, what: tr("doctor.pin.notInitialized.what", ["token": name]), fix: tr("doctor.pin.notInitialized.fix")))
        case .ok:
            break
        }
        if let error = token.readError {
            problems.append(Problem(severity: .warning, what: tr("doctor.token.unreadable", ["token": name, "error": "\(error)"]),
                                    fix: ModuleChecks.fixForTokenError(error)))
        }

        var certificates: [CertificateSection] = []
        for certificate in token.certificates {
            var section = CertificateSection(
                label: certificate.label, objectID: certificate.objectID.lowercaseHex, uri: certificate.uri,
                privateKeyOnToken: certificate.hasPrivateKey, keyEvidence: certificate.keyEvidence.rawValue,
                privateKeyURI: certificate.privateKeyURI, profile: nil, error: nil)
            do {
                let profile = try CertificateProfile(derEncoded: certificate.der, now: now)
                section.profile = profile
                problems += CertificateProblems.for(profile, onToken: name, hasKey: certificate.hasPrivateKey)
            } catch {
                section.error = tr("doctor.certificate.notX509", ["error": "\(error)"])
                problems.append(Problem(severity: .warning, what: tr("doctor.certificate.unreadable.what", ["token": name, "label": certificate.label]),
                                        fix: tr("doctor.certificate.unreadable.fix")))
            }
            certificates.append(section)
        }
        if token.certificates.isEmpty && token.readError == nil {
            problems.append(Problem(severity: .note, what: tr("doctor.token.noCertificate.what", ["token": name]), fix: tr("doctor.token.noCertificate.fix")))
        }

        return (section(token, pin: pin, certificates: certificates), problems)
    }

    private static func section(_ token: ScannedToken, pin: PINStatus, certificates: [CertificateSection]) -> TokenSection {
        TokenSection(
            slot: token.slot, slotDescription: token.slotDescription, label: token.info.label,
            manufacturer: token.info.manufacturerID, model: token.info.model, serialNumber: token.info.serialNumber,
            flags: token.info.flags.names, pin: pin,
            pinWords: token.info.flags.contains(.tokenInitialized) ? pin.words(tr) : tr("doctor.token.blankPIN"),
            uri: token.uri, error: token.readError?.description, certificates: certificates)
    }
}

extension Array where Element == UInt8 {
    var lowercaseHex: String { Hex.lowercase(self) }
}
