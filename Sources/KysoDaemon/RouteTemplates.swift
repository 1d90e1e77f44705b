/// The API's route templates, the only values a metrics label may take: a label made from the request path
/// let any socket user grow the metrics (and kysod's memory) without bound, one label per path sent.
enum RouteTemplates {
    /// Every path that matches no route, whatever it is.
    static let unmatched = "unmatched"

    /// The template of `target` (query string ignored), or `unmatched`. Segment counts and fixed words decide;
    /// the variable segments (token ids, fingerprints, accounts, secret kinds) never reach the label.
    static func name(of target: String) -> String {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        switch parts.count {
        case 1 where parts[0] == "metrics": return "/metrics"
        case 2 where parts[0] == "v1":
            switch parts[1] {
            case "status", "tokens", "events", "bindings", "registrations", "audit", "logout": return "/v1/\(parts[1])"
            default: return unmatched
            }
        case 3 where parts[0] == "v1":
            switch parts[1] {
            case "tokens": return "/v1/tokens/{id}"
            case "certificates": return "/v1/certificates/{sha256}"
            case "bindings": return "/v1/bindings/{account}"
            default: return unmatched
            }
        case 4 where parts[0] == "v1" && parts[1] == "tokens":
            switch parts[3] {
            case "sign": return "/v1/tokens/{id}/sign"
            case "logout": return "/v1/tokens/{id}/logout"
            default: return unmatched
            }
        case 5 where parts[0] == "v1" && parts[1] == "bindings" && parts[3] == "secrets":
            return "/v1/bindings/{account}/secrets/{kind}"
        default: return unmatched
        }
    }
}
