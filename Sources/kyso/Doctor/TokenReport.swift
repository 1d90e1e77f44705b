import Foundation
import KysoCore
import TokenScan

/// Turns a scanned token into the doctor's section and the problems a declarant should know about.
enum TokenReport {
    static func section(for token: ScannedToken, now: Date) -> (TokenSection, [Problem]) {
        var problems: [Problem] = []
        let name = "Token \"\(token.info.label)\" (serial \(token.info.serialNumber))"
        let pin = token.pinStatus
        guard token.info.flags.contains(.tokenInitialized) else {
            let blank = Problem(severity: .note, what: "The token in slot \(token.slot) (\(token.slotDescription)) is blank (not initialised).",
                                fix: "Nothing to do for SoftHSM's spare slot. A real token that shows blank was reset: ask your CA to issue the certificate onto it again.")
            return (section(token, pin: pin, certificates: []), [blank])
        }
        switch pin.state {
        case .locked:
            problems.append(Problem(severity: .error, what: "\(name): the PIN is locked.",
                                    fix: "Unlock it with the SO PIN (PUK) using the vendor's tool or your CA's support; Kyso will not try any PIN on it."))
        case .finalTry:
            problems.append(Problem(severity: .warning, what: "\(name): one PIN try is left; a wrong PIN now locks the token.",
                                    fix: "Make sure of the PIN before the next login (your CA's hand-over letter has it)."))
        case .countLow:
            problems.append(Problem(severity: .note, what: "\(name): a wrong PIN was entered recently.",
                                    fix: "Check the PIN before trying again; the token locks after a few wrong tries."))
        case .notInitialized:
            problems.append(Problem(severity: .warning, what: "\(name): the user PIN is not initialised.",
                                    fix: "The token is blank or was reset; ask your CA to issue the certificate onto it again."))
        case .ok:
            break
        }
        if let error = token.readError {
            problems.append(Problem(severity: .warning, what: "\(name): its objects could not be read: \(error)",
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
                section.error = "not a readable X.509 certificate: \(error)"
                problems.append(Problem(severity: .warning, what: "\(name): certificate \"\(certificate.label)\" cannot be read.",
                                        fix: "The object is damaged or not X.509; your CA can write the certificate again."))
            }
            certificates.append(section)
        }
        if token.certificates.isEmpty && token.readError == nil {
            problems.append(Problem(severity: .note, what: "\(name) holds no certificate.",
                                    fix: "A token for customs declarations carries the business's certificate; ask your CA to install it."))
        }

        return (section(token, pin: pin, certificates: certificates), problems)
    }

    private static func section(_ token: ScannedToken, pin: PINStatus, certificates: [CertificateSection]) -> TokenSection {
        TokenSection(
            slot: token.slot, slotDescription: token.slotDescription, label: token.info.label,
            manufacturer: token.info.manufacturerID, model: token.info.model, serialNumber: token.info.serialNumber,
            flags: token.info.flags.names, pin: pin,
            pinWords: token.info.flags.contains(.tokenInitialized) ? pin.words : "blank token (not initialised)",
            uri: token.uri, error: token.readError?.description, certificates: certificates)
    }
}

extension Array where Element == UInt8 {
    var lowercaseHex: String { Hex.lowercase(self) }
}
