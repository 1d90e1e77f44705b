import Foundation
import KysoCore

/// Labels for the human-readable profile; English by default, Vietnamese with `kyso cert --vi`.
struct CertificateLabels: Sendable {
    var holder, subject, taxCode, identifiers, kind, provider, issuer, serial, decimal, status, validFrom, validUntil,
        key, signature, keyUsage, extendedKeyUsage, sha1, sha256, warning, remoteSigning, test, unknownProvider,
        daysLeft, daysAgo, none: String

    static let english = CertificateLabels(
        holder: "Holder", subject: "Subject", taxCode: "Tax code (MST)", identifiers: "Identifiers", kind: "Holder kind",
        provider: "CA provider", issuer: "Issuer", serial: "Serial number", decimal: "decimal", status: "Status",
        validFrom: "Valid from", validUntil: "Valid until", key: "Key", signature: "Signature",
        keyUsage: "Key usage", extendedKeyUsage: "Extended key usage", sha1: "SHA-1", sha256: "SHA-256",
        warning: "Warning", remoteSigning: "remote signing", test: "TEST", unknownProvider: "unknown provider",
        daysLeft: "days left", daysAgo: "days ago", none: "none")

    static let vietnamese = CertificateLabels(
        holder: "Chủ thể", subject: "Tên chủ thể", taxCode: "Mã số thuế (MST)", identifiers: "Định danh",
        kind: "Loại chủ thể", provider: "Nhà cung cấp CA", issuer: "Đơn vị cấp", serial: "Số serial",
        decimal: "thập phân", status: "Trạng thái", validFrom: "Hiệu lực từ", validUntil: "Hiệu lực đến",
        key: "Khóa", signature: "Thuật toán ký", keyUsage: "Mục đích khóa", extendedKeyUsage: "Mục đích mở rộng",
        sha1: "SHA-1", sha256: "SHA-256", warning: "Cảnh báo", remoteSigning: "ký số từ xa", test: "THỬ NGHIỆM",
        unknownProvider: "không rõ nhà cung cấp", daysLeft: "ngày còn lại", daysAgo: "ngày trước", none: "không có")

    func status(_ status: CertificateStatus) -> String {
        guard self.status == "Trạng thái" else {
            switch status {
            case .valid: return "valid"
            case .expired: return "EXPIRED"
            case .notYetValid: return "NOT YET VALID"
            case .expiringSoon: return "expiring soon"
            }
        }
        switch status {
        case .valid: return "còn hiệu lực"
        case .expired: return "HẾT HIỆU LỰC"
        case .notYetValid: return "CHƯA CÓ HIỆU LỰC"
        case .expiringSoon: return "sắp hết hạn"
        }
    }

    func kind(_ kind: HolderKind) -> String {
        guard self.kind == "Loại chủ thể" else {
            switch kind {
            case .organisation: return "organisation"
            case .branch: return "branch"
            case .personInOrganisation: return "person in an organisation"
            case .individual: return "individual"
            case .budgetUnit: return "budget unit"
            case .unknown: return "unknown"
            }
        }
        switch kind {
        case .organisation: return "doanh nghiệp, tổ chức"
        case .branch: return "chi nhánh"
        case .personInOrganisation: return "cá nhân thuộc tổ chức"
        case .individual: return "cá nhân"
        case .budgetUnit: return "đơn vị sử dụng ngân sách"
        case .unknown: return "không xác định"
        }
    }
}

/// The profile as aligned `label: value` lines, the way `kyso cert` and `kyso doctor` print certificates.
func certificateLines(
    _ profile: CertificateProfile, indent: String, labels: CertificateLabels = .english
) -> [String] {
    var rows: [(String, String)] = []
    rows.append((labels.holder, profile.commonName ?? profile.subject.rfc4514))
    rows.append((labels.subject, profile.subject.rfc4514))
    if let taxCode = profile.taxCode {
        rows.append((labels.taxCode, "\(taxCode.value) (\(taxCode.form.rawValue))"))
    }
    if !profile.identifiers.isEmpty {
        rows.append((labels.identifiers, profile.identifiers.map { identifier in
            identifier.prefix.map { "\($0):\(identifier.value)" } ?? identifier.value
        }.joined(separator: ", ")))
    }
    rows.append((labels.kind, labels.kind(profile.holderKind)))
    rows.append((labels.provider, providerText(profile.provider, labels)))
    rows.append((labels.issuer, profile.issuer.rfc4514))
    rows.append((labels.serial, "\(profile.serialNumber.hex) (\(labels.decimal) \(profile.serialNumber.decimal))"))
    let days = profile.daysRemaining >= 0
        ? "\(profile.daysRemaining) \(labels.daysLeft)" : "\(-profile.daysRemaining) \(labels.daysAgo)"
    rows.append((labels.status, "\(labels.status(profile.status)), \(days)"))
    rows.append((labels.validFrom, rfc3339(profile.validity.notBefore)))
    rows.append((labels.validUntil, rfc3339(profile.validity.notAfter)))
    rows.append((labels.key, profile.publicKey.summary))
    rows.append((labels.signature, profile.signatureAlgorithm.name + (profile.signatureAlgorithm.usesSHA1 ? " (SHA-1!)" : "")))
    rows.append((labels.keyUsage, profile.keyUsage.isEmpty ? labels.none : profile.keyUsage.joined(separator: ", ")))
    rows.append((labels.extendedKeyUsage,
        profile.extendedKeyUsage.isEmpty ? labels.none : profile.extendedKeyUsage.joined(separator: ", ")))
    rows.append((labels.sha1, profile.fingerprints.sha1))
    rows.append((labels.sha256, profile.fingerprints.sha256))
    for warning in profile.warnings {
        rows.append((labels.warning, warning))
    }
    let width = rows.map { $0.0.count }.max() ?? 0
    return rows.map { label, value in
        indent + label + ":" + String(repeating: " ", count: width - label.count + 1) + value
    }
}

private func providerText(_ match: CertificateAuthorityMatch, _ labels: CertificateLabels) -> String {
    guard match.isKnown else {
        return "\(labels.unknownProvider) (CN=\(match.issuerCommonName ?? "?"))"
    }
    var text = match.displayName
    if match.isRemoteSigning { text += " [\(labels.remoteSigning)]" }
    if match.isTest { text += " [\(labels.test)]" }
    return text
}

private func rfc3339(_ date: Date) -> String {
    date.formatted(.iso8601)
}
