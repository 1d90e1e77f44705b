import DesktopNotifications
import Foundation
import KysoAPI
import KysoCore
import KysoText

/// The words of each notification, in one language, from the message catalog (keys `notify.*` in
/// Sources/KysoText/po): what a declarant needs to act without opening a terminal.
struct NotificationText: Sendable {
    let messages: Messages
    let timeZone: TimeZone

    init(language: Language, timeZone: TimeZone = .current) {
        messages = Messages.forLanguage(language)
        self.timeZone = timeZone
    }

    // MARK: Tokens

    /// "Token plugged in: {label}", a line per certificate (holder, tax code, CA, days left), and the PIN state when
    /// it is not ok.
    func plugged(_ token: TokenInfoResponse, now: Date) -> DesktopNotification {
        var lines = Self.signingCertificates(token).map { certificateLine($0, now: now) }
        if lines.isEmpty { lines.append(messages("notify.token.plugged.noCertificate")) }
        if let pin = pinBody(token) { lines.append(pin) }
        return DesktopNotification(summary: messages("notify.token.plugged.summary", ["label": token.label]),
                                   body: lines.joined(separator: "\n"), category: "device.added", icon: "drive-removable-media")
    }

    func pulled(label: String) -> DesktopNotification {
        DesktopNotification(summary: messages("notify.token.pulled.summary", ["label": label]),
                            body: messages("notify.token.pulled.body"), category: "device.removed", icon: "drive-removable-media")
    }

    /// A warning about the token's PIN: few tries left, final try, locked; nil for a state that needs none.
    func pin(_ token: TokenInfoResponse) -> DesktopNotification? {
        let key: String
        switch token.pin.state {
        case .countLow: key = "notify.pin.countLow"
        case .finalTry: key = "notify.pin.finalTry"
        case .locked: key = "notify.pin.locked"
        case .ok, .notInitialized: return nil
        }
        return DesktopNotification(summary: messages("\(key).summary", ["label": token.label]), body: pinBody(token) ?? "",
                                   urgency: token.pin.state == .countLow ? .normal : .critical, category: "device.error",
                                   icon: "dialog-password")
    }

    private func pinBody(_ token: TokenInfoResponse) -> String? {
        let ca = Self.signingCertificates(token).first?.profile.provider.displayName ?? ""
        switch token.pin.state {
        case .countLow: return messages("notify.pin.countLow.body")
        case .finalTry: return messages("notify.pin.finalTry.body")
        case .locked: return messages("notify.pin.locked.body", ["ca": ca])
        case .ok, .notInitialized: return nil
        }
    }

    // MARK: Certificates

    /// `certificate` ends within 30 days: the day (and, on the last days, the hour) and who renews it.
    func expiring(_ certificate: TokenCertificate, now: Date) -> DesktopNotification {
        let profile = certificate.profile
        let notAfter = profile.validity.notAfter
        let days = Self.daysLeft(notAfter, now: now)
        let summary = days >= 2
            ? messages("notify.certificate.expiring.summary", ["days": messages.number(days), "date": messages.date(notAfter, timeZone: timeZone)])
            : messages("notify.certificate.expiringSoon.summary", ["date": messages.dateTime(notAfter, timeZone: timeZone)])
        return DesktopNotification(
            summary: summary,
            body: messages("notify.certificate.expiring.body", ["holder": holder(profile), "ca": profile.provider.displayName]),
            urgency: days <= 7 ? .critical : .normal, category: "x-kyso.certificate.expiring", icon: "dialog-warning")
    }

    func expired(_ certificate: TokenCertificate) -> DesktopNotification {
        let profile = certificate.profile
        return DesktopNotification(
            summary: messages("notify.certificate.expired.summary", ["date": messages.date(profile.validity.notAfter, timeZone: timeZone)]),
            body: messages("notify.certificate.expired.body", ["holder": holder(profile), "ca": profile.provider.displayName]),
            urgency: .critical, category: "x-kyso.certificate.expired", icon: "dialog-error")
    }

    // MARK: Accounts

    func renewal(account: String) -> DesktopNotification {
        DesktopNotification(summary: messages("notify.binding.renewal.summary", ["account": account]),
                            body: messages("notify.binding.renewal.body", ["account": account]),
                            category: "x-kyso.binding.renewal", icon: "dialog-information")
    }

    /// A binding made (`moved` false) or moved to another certificate.
    func bound(_ binding: BindingInfo, moved: Bool) -> DesktopNotification {
        let role = messages(binding.role == .admin ? "notify.role.admin" : "notify.role.declarant")
        let body = messages("notify.binding.bound.body", [
            "role": role, "taxCode": binding.taxCode, "serial": binding.certificate.serialNumber,
            "ca": binding.certificate.provider, "date": messages.date(binding.certificate.notAfter, timeZone: timeZone),
        ])
        return DesktopNotification(
            summary: messages(moved ? "notify.binding.moved.summary" : "notify.binding.created.summary", ["account": binding.account]),
            body: body, category: "x-kyso.binding", icon: "dialog-information")
    }

    func unbound(account: String) -> DesktopNotification {
        DesktopNotification(summary: messages("notify.binding.removed.summary", ["account": account]),
                            body: messages("notify.binding.removed.body"), category: "x-kyso.binding", icon: "dialog-information")
    }

    /// A remote signature waiting for the holder to approve it in the signing service's app.
    func approvalWanted(label: String, deadline: Date?) -> DesktopNotification {
        let body = deadline.map { messages("notify.approval.bodyUntil", ["token": label, "deadline": messages.dateTime($0)]) }
            ?? messages("notify.approval.body", ["token": label])
        return DesktopNotification(summary: messages("notify.approval.summary"), body: body,
                                   category: "x-kyso.signature.approval", icon: "dialog-password")
    }

    // MARK: Pieces

    /// "{holder}, MST {taxCode}, {ca}: còn {days} ngày", or that it has ended.
    private func certificateLine(_ certificate: TokenCertificate, now: Date) -> String {
        let profile = certificate.profile
        let notAfter = profile.validity.notAfter
        let parameters = ["holder": holder(profile), "ca": profile.provider.displayName,
                          "days": messages.number(Self.daysLeft(notAfter, now: now)), "date": messages.date(notAfter, timeZone: timeZone)]
        return notAfter <= now
            ? messages("notify.token.plugged.certificateExpired", parameters)
            : messages("notify.token.plugged.certificate", parameters)
    }

    /// The holder as a declarant names it: the organisation (else the person), with its tax code when it has one.
    private func holder(_ profile: CertificateProfile) -> String {
        let name = profile.organization ?? profile.commonName ?? profile.subject.rfc4514
        guard let taxCode = profile.taxCode else { return name }
        return messages("notify.holder.withTaxCode", ["holder": name, "taxCode": taxCode.value])
    }

    /// The certificates a person signs with: CA certificates some tokens carry are left out.
    static func signingCertificates(_ token: TokenInfoResponse) -> [TokenCertificate] {
        token.certificates.filter { !$0.profile.isCertificateAuthority }
    }

    /// Whole days left, as kysod counts them (rounded down; negative after the end).
    static func daysLeft(_ notAfter: Date, now: Date) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}
