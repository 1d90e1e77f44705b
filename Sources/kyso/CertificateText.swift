import Foundation
import KysoCore
import KysoText

/// The profile as aligned `label: value` lines, the way `kyso cert` and `kyso doctor` print certificates: labels
/// and values (holder kind, status, key usages, warnings) in the reader's language, dates as the language writes
/// them, aligned by display width so Vietnamese labels line up.
func certificateLines(_ profile: CertificateProfile, indent: String, text: Messages = tr) -> [String] {
    var rows: [(String, String)] = []
    rows.append((text("cert.label.holder"), profile.commonName ?? profile.subject.rfc4514))
    rows.append((text("cert.label.subject"), profile.subject.rfc4514))
    if let taxCode = profile.taxCode {
        rows.append((text("cert.label.taxCode"), "\(taxCode.value) (\(taxCode.form.rawValue))"))
    }
    if !profile.identifiers.isEmpty {
        rows.append((text("cert.label.identifiers"), profile.identifiers.map { identifier in
            identifier.prefix.map { "\($0):\(identifier.value)" } ?? identifier.value
        }.joined(separator: ", ")))
    }
    rows.append((text("cert.label.holderKind"), text(profile.holderKind.message)))
    rows.append((text("cert.label.provider"), providerText(profile.provider, text)))
    rows.append((text("cert.label.issuer"), profile.issuer.rfc4514))
    rows.append((text("cert.label.serial"), text("cert.value.serial", ["hex": profile.serialNumber.hex, "decimal": profile.serialNumber.decimal])))
    let days = profile.daysRemaining >= 0
        ? text("days.left", ["days": text.number(profile.daysRemaining)])
        : text("days.ago", ["days": text.number(-profile.daysRemaining)])
    rows.append((text("cert.label.status"), text("cert.value.status", ["status": text(profile.status.message), "days": days])))
    rows.append((text("cert.label.validFrom"), text.dateTime(profile.validity.notBefore)))
    rows.append((text("cert.label.validUntil"), text.dateTime(profile.validity.notAfter)))
    rows.append((text("cert.label.key"), profile.publicKey.summary))
    rows.append((text("cert.label.signature"), profile.signatureAlgorithm.usesSHA1
        ? text("cert.value.sha1Signature", ["algorithm": profile.signatureAlgorithm.name]) : profile.signatureAlgorithm.name))
    rows.append((text("cert.label.keyUsage"), profile.keyUsage.isEmpty ? text("cert.value.none")
        : profile.keyUsage.map { text(KeyUsageWords.message(forKeyUsage: $0)) }.joined(separator: ", ")))
    rows.append((text("cert.label.extendedKeyUsage"), profile.extendedKeyUsage.isEmpty ? text("cert.value.none")
        : profile.extendedKeyUsage.map { text(KeyUsageWords.message(forExtendedKeyUsage: $0)) }.joined(separator: ", ")))
    rows.append((text("cert.label.sha1"), profile.fingerprints.sha1))
    rows.append((text("cert.label.sha256"), profile.fingerprints.sha256))
    // Read from the certificate's findings when kyso read it itself; as kysod worded them otherwise (kysod
    // follows the Accept-Language kyso sends).
    let warnings = profile.warningMessages.isEmpty ? profile.warnings : profile.warningMessages.map { text($0) }
    for warning in warnings {
        rows.append((text("cert.label.warning"), warning))
    }
    let width = rows.map { displayWidth($0.0) }.max() ?? 0
    return rows.map { label, value in
        indent + padded(label + ":", toWidth: width + 2) + value
    }
}

private func providerText(_ match: CertificateAuthorityMatch, _ text: Messages) -> String {
    guard match.isKnown else {
        return text("cert.value.unknownProvider", ["issuerCN": match.issuerCommonName ?? "?"])
    }
    var words = match.displayName
    if match.isRemoteSigning { words += " [\(text("cert.value.remoteSigning"))]" }
    if match.isTest { words += " [\(text("cert.value.test"))]" }
    return words
}
