public import NIOHTTP1

/// Every route of API version 1 as data: method, path template and the capability it needs. The router matches
/// requests against this table, metrics label requests by its templates (never the raw path, which would let any
/// socket user grow the metrics without bound), and the contract test compares it with openapi.yaml.
public enum Endpoint: String, CaseIterable, Sendable {
    case status, tokens, token, sign, logoutToken, logoutAll, certificate, events
    case register, listBindings, bind, bindingInfo, rebind, unbind, revealHostSecret, revealTokenSecret, audit
    case storeSecret, backup, restore
    case metrics
    case sendOTP, setRemoteSecret, revealRemoteSecret

    public var method: HTTPMethod {
        switch self {
        case .sign, .logoutToken, .logoutAll, .register, .bind, .revealTokenSecret, .backup, .restore, .sendOTP: .POST
        case .rebind, .storeSecret, .setRemoteSecret: .PUT
        case .unbind: .DELETE
        default: .GET
        }
    }

    /// The path template, with `{name}` for a segment the caller chooses.
    public var template: String {
        switch self {
        case .status: "/v1/status"
        case .tokens: "/v1/tokens"
        case .token: "/v1/tokens/{id}"
        case .sign: "/v1/tokens/{id}/sign"
        case .logoutToken: "/v1/tokens/{id}/logout"
        case .logoutAll: "/v1/logout"
        case .certificate: "/v1/certificates/{sha256}"
        case .events: "/v1/events"
        case .register: "/v1/registrations"
        case .listBindings, .bind: "/v1/bindings"
        case .bindingInfo, .rebind, .unbind: "/v1/bindings/{account}"
        // GET reveals a host-sealed secret; POST carries the PIN that opens one sealed to the token.
        // PUT sets or replaces it.
        case .revealHostSecret, .revealTokenSecret, .storeSecret: "/v1/bindings/{account}/secrets/{kind}"
        case .audit: "/v1/audit"
        case .backup: "/v1/backup"
        case .restore: "/v1/restore"
        case .metrics: "/metrics"
        case .sendOTP: "/v1/tokens/{id}/otp"
        case .setRemoteSecret, .revealRemoteSecret: "/v1/remote-services/{name}/secrets/{kind}"
        }
    }

    public var capability: Capability {
        switch self {
        case .status, .tokens, .token, .certificate, .events, .listBindings, .bindingInfo, .metrics: .read
        case .sign, .logoutToken, .logoutAll, .register, .sendOTP: .sign
        case .bind, .rebind, .unbind, .revealHostSecret, .revealTokenSecret, .audit, .storeSecret, .backup, .restore, .setRemoteSecret,
             .revealRemoteSecret: .admin
        }
    }

    /// The metrics label of every path no route matches, whatever it is.
    public static let unmatched = "unmatched"

    /// The endpoints whose template matches `path` (query string ignored), and the template's variable segments.
    public static func matching(_ path: String) -> (endpoints: [Endpoint], parameters: [String]) {
        let segments = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first?
            .split(separator: "/", omittingEmptySubsequences: true) ?? []
        for template in templates {
            let parts = template.parts
            guard parts.count == segments.count else { continue }
            var parameters: [String] = []
            let fits = zip(parts, segments).allSatisfy { part, segment in
                if part.hasPrefix("{") {
                    parameters.append(String(segment))
                    return true
                }
                return part == segment
            }
            if fits { return (allCases.filter { $0.template == template.text }, parameters) }
        }
        return ([], [])
    }

    /// The metrics label of a request path: its route's template, or `unmatched`.
    public static func label(of path: String) -> String { matching(path).endpoints.first?.template ?? unmatched }

    private static let templates: [(text: String, parts: [Substring])] = {
        var seen: Set<String> = []
        return allCases.compactMap { endpoint in
            guard seen.insert(endpoint.template).inserted else { return nil }
            return (endpoint.template, endpoint.template.split(separator: "/"))
        }
    }()
}
