import Foundation
import KysoAPI
import KysoText

/// How `kyso tokens` shows a remote credential: its provider beside its name, and what a signature needs.
enum RemoteTokenText {
    /// The token with "(remote: provider)" after its label, for the TOKEN column.
    static func labelled(_ token: TokenInfoResponse) -> TokenInfoResponse {
        guard token.kind == .remote, let remote = token.remote else { return token }
        var shown = token
        shown.label = tr("remote.tokens.label", ["label": token.label, "provider": remote.provider])
        return shown
    }

    /// The PIN column of a remote credential: the steps of its authorisation.
    static func pinColumn(_ token: TokenInfoResponse) -> String? {
        guard token.kind == .remote, let remote = token.remote else { return nil }
        let steps = remote.authorisation.map { step in
            switch step {
            case .pin: tr("remote.tokens.step.pin")
            case .otp: tr("remote.tokens.step.otp")
            case .approval: tr("remote.tokens.step.approval")
            }
        }
        return steps.isEmpty ? tr("remote.tokens.noSteps") : steps.joined(separator: " + ")
    }

    /// `kyso watch`'s line for `signature.awaiting-approval`.
    static func awaitingApproval(_ data: EventData) -> String {
        let id = data.tokenId ?? "?"
        return data.deadline.map { tr("watch.awaitingApprovalUntil", ["id": id, "time": clock($0)]) } ?? tr("watch.awaitingApproval", ["id": id])
    }

    /// When kysod stops waiting: the time of day as English output always showed it; in Vietnamese, the local
    /// time and day the way the rest of kyso writes them (a Vietnamese locale may be missing from the machine).
    static func clock(_ date: Date) -> String {
        tr.language == .vi ? tr.dateTime(date) : date.formatted(date: .omitted, time: .standard)
    }
}
