import Foundation
import KysoAPI

/// How `kyso tokens` shows a remote credential: its provider beside its name, and what a signature needs.
enum RemoteTokenText {
    /// The token with "(remote: provider)" after its label, for the TOKEN column.
    static func labelled(_ token: TokenInfoResponse) -> TokenInfoResponse {
        guard token.kind == .remote, let remote = token.remote else { return token }
        var shown = token
        shown.label = "\(token.label) (remote: \(remote.provider))"
        return shown
    }

    /// The PIN column of a remote credential: the steps of its authorisation.
    static func pinColumn(_ token: TokenInfoResponse) -> String? {
        guard token.kind == .remote, let remote = token.remote else { return nil }
        let steps = remote.authorisation.map { step in
            switch step {
            case .pin: "PIN"
            case .otp: "OTP"
            case .approval: "phone approval"
            }
        }
        return steps.isEmpty ? "none" : steps.joined(separator: " + ")
    }

    /// `kyso watch`'s line for `signature.awaiting-approval`.
    static func awaitingApproval(_ data: EventData) -> String {
        let until = data.deadline.map { " until \($0.formatted(date: .omitted, time: .standard))" } ?? ""
        return "[\(data.tokenId ?? "?")] waits for the holder to approve a signature on their phone\(until)"
    }
}
