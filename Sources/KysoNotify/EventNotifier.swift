import DesktopNotifications
import Foundation
import KysoAPI
import KysoCore

/// A notification to show, and the reminder it is (shown once ever) if it is one.
struct PlannedNotification: Sendable, Equatable {
    var notification: DesktopNotification
    /// The key `GivenReminders` records once shown; nil for news that cannot repeat (a token pulled, a binding made).
    var reminder: String?
}

/// Turns kysod's events into notifications, remembering what is plugged in so that a kysod restart (its new
/// run announces every token again) or a resumed stream shows nothing twice.
///
/// Tokens already present when `kyso notify` starts (the first snapshot) are not announced as plugged in; their
/// certificates' expiry reminders are, once: the notifier may start after kysod sent them.
struct EventNotifier {
    let text: NotificationText
    private var tokens: [String: TokenInfoResponse] = [:]
    private var hadSnapshot = false

    init(text: NotificationText) { self.text = text }

    mutating func plan(_ event: DaemonEvent, now: Date) -> [PlannedNotification] {
        let data = event.data
        switch event.type {
        case .snapshot:
            let fresh = Dictionary((data.tokens ?? []).map { ($0.id, $0) }) { first, _ in first }
            var planned: [PlannedNotification] = []
            if hadSnapshot {
                // A snapshot after an outage: what came and went meanwhile.
                for (id, old) in tokens.sorted(by: { $0.key < $1.key }) where fresh[id] == nil {
                    planned.append(PlannedNotification(notification: text.pulled(label: old.label)))
                }
            }
            for token in fresh.values.sorted(by: { $0.id < $1.id }) {
                planned += hadSnapshot ? arrived(token, now: now) : expiryReminders(token, now: now)
            }
            tokens = fresh
            hadSnapshot = true
            return planned
        case .tokenInserted, .tokenChanged:
            guard let token = data.token else { return [] }
            return arrived(token, now: now)
        case .tokenRemoved:
            guard let id = data.tokenId ?? data.token?.id, let old = tokens.removeValue(forKey: id) else { return [] }
            return [PlannedNotification(notification: text.pulled(label: data.token?.label ?? old.label))]
        case .certificateExpiring, .certificateExpired:
            guard let sha256 = data.certificate, let certificate = certificate(sha256, on: data.tokenId) else { return [] }
            return [reminder(for: certificate, now: now)].compactMap { $0 }
        case .bindingRenewalNeeded:
            guard let account = data.account, let certificate = data.certificate else { return [] }
            return [PlannedNotification(notification: text.renewal(account: account), reminder: "renewal \(account) \(certificate)")]
        case .bindingCreated, .bindingMoved:
            guard let binding = data.binding else { return [] }
            return [PlannedNotification(notification: text.bound(binding, moved: event.type == .bindingMoved))]
        case .bindingRemoved:
            guard let account = data.account else { return [] }
            return [PlannedNotification(notification: text.unbound(account: account))]
        case .signatureAwaitingApproval:
            // A remote signature waits for the holder's phone: the person may not be looking at the terminal.
            let label = data.tokenId.flatMap { tokens[$0]?.label } ?? data.tokenId ?? "?"
            return [PlannedNotification(notification: text.approvalWanted(label: label, deadline: data.deadline))]
        case .readerAdded, .readerRemoved, .cardInserted, .cardRemoved, .moduleFailed, .moduleStuck, .moduleRecovered,
             .pcscUnavailable, .pcscAvailable, .bindingExpiring:
            // Readers and cards without a token are not what a declarant plugs in; module and pcscd trouble is
            // `kyso doctor`'s; a bound certificate ending is told by certificate.expiring while its token is here.
            return []
        }
    }

    /// A token seen in an insertion, a change or a later snapshot: plugged in if new, else a PIN that got worse.
    private mutating func arrived(_ token: TokenInfoResponse, now: Date) -> [PlannedNotification] {
        let old = tokens.updateValue(token, forKey: token.id)
        guard let old else {
            return [PlannedNotification(notification: text.plugged(token, now: now))] + expiryReminders(token, now: now)
        }
        guard Self.severity(token.pin.state) > Self.severity(old.pin.state), let warning = text.pin(token) else { return [] }
        return [PlannedNotification(notification: warning)]
    }

    private func expiryReminders(_ token: TokenInfoResponse, now: Date) -> [PlannedNotification] {
        NotificationText.signingCertificates(token).compactMap { reminder(for: $0, now: now) }
    }

    /// The reminder due for `certificate` now (expired, or the 30-, 7- or 1-day one), keyed as kysod keys its own.
    private func reminder(for certificate: TokenCertificate, now: Date) -> PlannedNotification? {
        let notAfter = certificate.profile.validity.notAfter
        if notAfter <= now {
            return PlannedNotification(notification: text.expired(certificate), reminder: "expired \(certificate.sha256)")
        }
        guard let threshold = Self.threshold(notAfter: notAfter, now: now) else { return nil }
        return PlannedNotification(notification: text.expiring(certificate, now: now), reminder: "certificate \(certificate.sha256) \(threshold)")
    }

    private func certificate(_ sha256: String, on tokenId: String?) -> TokenCertificate? {
        let candidates = tokenId.flatMap { tokens[$0] }.map { [$0] } ?? Array(tokens.values)
        return candidates.lazy.flatMap(\.certificates).first { $0.sha256 == sha256 }
    }

    /// kysod's thresholds: the nearest of 30, 7 and 1 days not less than the time left; nil beyond 30 days.
    static func threshold(notAfter: Date, now: Date) -> Int? {
        let daysLeft = notAfter.timeIntervalSince(now) / 86_400
        return [30, 7, 1].last { Double($0) >= daysLeft }
    }

    private static func severity(_ state: PINStatus.State) -> Int {
        switch state {
        case .ok, .notInitialized: 0
        case .countLow: 1
        case .finalTry: 2
        case .locked: 3
        }
    }
}
