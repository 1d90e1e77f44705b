import Foundation
import KysoAPI
import NIOHTTP1
import Synchronization

/// A parsed request, as the router sees it.
struct APIRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var headers: HTTPHeaders
    var body: [UInt8]
    var peer: PeerCredentials
    var keepAlive = false
}

/// What the router wants sent back.
enum APIResponse: Sendable {
    case body(status: HTTPResponseStatus, contentType: String, bytes: [UInt8], extraHeaders: [(String, String)] = [])
    /// Server-Sent Events, starting after `lastEventID` (or with a snapshot).
    case events(lastEventID: UInt64?)

    static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) -> APIResponse {
        do {
            return .body(status: status, contentType: "application/json", bytes: Array(try APIJSON.encoder().encode(value)))
        } catch {
            return problem(ProblemDetails(status: 500, code: "internal-error", title: "Response could not be encoded"))
        }
    }

    static func problem(_ problem: ProblemDetails, headers: [(String, String)] = []) -> APIResponse {
        let bytes = (try? APIJSON.encoder().encode(problem)).map(Array.init) ?? []
        return .body(status: HTTPResponseStatus(statusCode: problem.status), contentType: "application/problem+json",
                     bytes: bytes, extraHeaders: headers)
    }
}

/// The stable problem codes of API version 1.
enum Problems {
    static func notFound(_ what: String) -> ProblemDetails {
        ProblemDetails(status: 404, code: "not-found", title: "Not found", detail: what)
    }
    static func forbidden(_ capability: Capability, peer: PeerCredentials) -> ProblemDetails {
        ProblemDetails(status: 403, code: "forbidden", title: "Not allowed",
                       detail: "uid \(peer.uid) lacks the '\(capability.rawValue)' capability; an administrator grants it in kysod's configuration (access.\(capability.rawValue))")
    }
    static func methodNotAllowed(_ method: HTTPMethod) -> ProblemDetails {
        ProblemDetails(status: 405, code: "method-not-allowed", title: "Method not allowed", detail: "\(method.rawValue) is not supported here")
    }
    static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: 400, code: "bad-request", title: "Bad request", detail: detail)
    }
    static let tooLarge = ProblemDetails(status: 413, code: "body-too-large", title: "Request body too large")
    static let tooManySubscribers = ProblemDetails(status: 503, code: "too-many-subscribers", title: "Too many event subscribers",
                                                   detail: "try again later")
    static let tooManyConnections = ProblemDetails(status: 503, code: "too-many-connections", title: "Too many connections",
                                                   detail: "try again later")
    static let shuttingDown = ProblemDetails(status: 503, code: "shutting-down", title: "kysod is shutting down")
}

/// Maps requests to answers. Version 1 routes; the signing and binding routes join here with their capabilities.
struct Router: Sendable {
    let inventory: Inventory
    let signer: Signer
    let accounts: AccountService
    /// Signature audit records are written behind the answer (see SignatureAuditWriter).
    let signatureAudit: SignatureAuditWriter
    let access: AccessPolicy
    let metrics: DaemonMetrics
    let version: String
    /// The encoded token list, reused until the next event: every change to tokens or their accounts is published
    /// as an event, so the event id is the list's version.
    let tokenListCache = EncodedResponseCache()
    /// The encoded status, reused while only the uptime changes.
    let statusCache = StatusResponseCache()

    /// The route's template, for metrics (never the raw path, which would grow without bound).
    func routeName(_ path: String) -> String { RouteTemplates.name(of: path) }

    func respond(to request: APIRequest) async -> APIResponse {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let capabilities = access.capabilities(of: request.peer)

        func requireGET(_ capability: Capability, _ body: () -> APIResponse) -> APIResponse {
            guard request.method == .GET else {
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "GET")])
            }
            guard capabilities.contains(capability) else { return .problem(Problems.forbidden(capability, peer: request.peer)) }
            return body()
        }

        func requireGETAsync(_ capability: Capability, _ body: () async -> APIResponse) async -> APIResponse {
            guard request.method == .GET else {
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "GET")])
            }
            guard capabilities.contains(capability) else { return .problem(Problems.forbidden(capability, peer: request.peer)) }
            return await body()
        }

        func requirePOST(_ capability: Capability) -> APIResponse? {
            guard request.method == .POST else {
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "POST")])
            }
            guard capabilities.contains(capability) else { return .problem(Problems.forbidden(capability, peer: request.peer)) }
            return nil
        }

        switch parts {
        case let p where p.count == 4 && p[0] == "v1" && p[1] == "tokens" && p[3] == "sign":
            if let refused = requirePOST(.sign) { return refused }
            guard let body = decode(SignRequest.self, from: request.body) else {
                return .problem(Problems.badRequest("the body must be a JSON sign request (base64 for bytes)"))
            }
            let result = await signer.sign(tokenId: p[2], request: body, caller: request.peer.uid)
            let recorded = await signatureAudit.record(accounts.signatureAuditEntry(tokenId: p[2], request: body, result: result, caller: request.peer))
            switch result {
            case .success(let response): return recorded ? .json(response) : .problem(AuditJournal.unavailable)
            case .failure(let problem): return .problem(problem)
            }
        case ["v1", "registrations"]:
            if let refused = requirePOST(.sign) { return refused }
            guard let body = decode(RegistrationRequest.self, from: request.body) else {
                return .problem(Problems.badRequest("the body must be a JSON registration request"))
            }
            return respond(await accounts.register(body, caller: request.peer))
        case ["v1", "bindings"]:
            switch request.method {
            case .GET:
                guard capabilities.contains(.read) else { return .problem(Problems.forbidden(.read, peer: request.peer)) }
                return .json(BindingListResponse(bindings: accounts.list()))
            case .POST:
                guard capabilities.contains(.admin) else { return .problem(Problems.forbidden(.admin, peer: request.peer)) }
                guard let body = decode(BindingCreateRequest.self, from: request.body) else {
                    return .problem(Problems.badRequest("the body must be a JSON binding request (statement and signature in base64)"))
                }
                return respond(await accounts.bind(body, caller: request.peer), status: .created)
            default:
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "GET, POST")])
            }
        case let p where p.count == 3 && p[0] == "v1" && p[1] == "bindings":
            switch request.method {
            case .GET:
                guard capabilities.contains(.read) else { return .problem(Problems.forbidden(.read, peer: request.peer)) }
                guard let info = accounts.info(account: p[2]) else { return .problem(Problems.notFound("account \(p[2]) is not bound")) }
                return .json(info)
            case .DELETE:
                guard capabilities.contains(.admin) else { return .problem(Problems.forbidden(.admin, peer: request.peer)) }
                switch await accounts.unbind(account: p[2], caller: request.peer) {
                case .success: return .body(status: .noContent, contentType: "application/json", bytes: [])
                case .failure(let problem): return .problem(problem)
                }
            case .PUT:
                guard capabilities.contains(.admin) else { return .problem(Problems.forbidden(.admin, peer: request.peer)) }
                guard let body = decode(BindingCreateRequest.self, from: request.body) else {
                    return .problem(Problems.badRequest("the body must be a JSON binding request (statement and signature in base64)"))
                }
                return respond(await accounts.bind(body, replacing: p[2], caller: request.peer))
            default:
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "GET, PUT, DELETE")])
            }
        case let p where p.count == 5 && p[0] == "v1" && p[1] == "bindings" && p[3] == "secrets":
            // GET reveals a host-sealed secret; POST carries the PIN that opens one sealed to the token.
            switch request.method {
            case .GET:
                return await requireGETAsync(.admin) { respond(await accounts.reveal(account: p[2], kind: p[4], caller: request.peer)) }
            case .POST:
                guard capabilities.contains(.admin) else { return .problem(Problems.forbidden(.admin, peer: request.peer)) }
                let body = request.body.isEmpty ? SecretRevealRequest() : decode(SecretRevealRequest.self, from: request.body)
                guard let body else { return .problem(Problems.badRequest("the body must be JSON: {\"pin\": …}")) }
                return respond(await accounts.reveal(account: p[2], kind: p[4], request: body, caller: request.peer))
            default:
                return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", "GET, POST")])
            }
        case ["v1", "audit"]:
            let limit = query(request.path, "limit").flatMap(Int.init) ?? 100
            return await requireGETAsync(.admin) {
                // Every signature answered so far is in the log before it is read.
                await signatureAudit.flush()
                return respond(await accounts.auditLog(limit: limit))
            }
        case let p where p.count == 4 && p[0] == "v1" && p[1] == "tokens" && p[3] == "logout":
            if let refused = requirePOST(.sign) { return refused }
            guard inventory.token(id: p[2]) != nil else { return .problem(Problems.notFound("no token with id \(p[2]) is present")) }
            signer.dropLogins(tokenId: p[2])
            return .body(status: .noContent, contentType: "application/json", bytes: [])
        case ["v1", "logout"]:
            if let refused = requirePOST(.sign) { return refused }
            signer.dropLogins()
            return .body(status: .noContent, contentType: "application/json", bytes: [])
        case ["v1", "status"]:
            return requireGET(.read) {
                var status = inventory.status(version: version)
                status.audit = accounts.auditStatus
                guard let bytes = statusCache.bytes(for: status) else { return .json(status) }
                return .body(status: .ok, contentType: "application/json", bytes: bytes)
            }
        case ["v1", "tokens"]:
            return requireGET(.read) {
                // Read the version before the tokens: a change in between only makes the cache miss next time.
                let version = inventory.lastEventID
                if let bytes = tokenListCache.bytes(for: version) {
                    return .body(status: .ok, contentType: "application/json", bytes: bytes)
                }
                let response = APIResponse.json(TokenListResponse(tokens: inventory.tokens))
                if case .body(.ok, _, let bytes, _) = response { tokenListCache.store(bytes, for: version) }
                return response
            }
        case let p where p.count == 3 && p[0] == "v1" && p[1] == "tokens":
            return requireGET(.read) {
                guard let token = inventory.token(id: p[2]) else { return .problem(Problems.notFound("no token with id \(p[2]) is present")) }
                return .json(token)
            }
        case let p where p.count == 3 && p[0] == "v1" && p[1] == "certificates":
            return requireGET(.read) {
                let fingerprint = p[2].lowercased()
                guard fingerprint.count == 64, fingerprint.allSatisfy(\.isHexDigit) else {
                    return .problem(Problems.badRequest("a certificate is named by its SHA-256 fingerprint: 64 hex digits"))
                }
                guard let certificate = inventory.certificate(sha256: fingerprint) else {
                    return .problem(Problems.notFound("no present token holds certificate \(fingerprint)"))
                }
                return .json(certificate)
            }
        case ["v1", "events"]:
            return requireGET(.read) {
                let header = request.headers.first(name: "last-event-id")
                if let header, UInt64(header.trimmingCharacters(in: .whitespaces)) == nil {
                    return .problem(Problems.badRequest("Last-Event-ID must be an event id (a number)"))
                }
                return .events(lastEventID: header.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) })
            }
        case ["metrics"]:
            return requireGET(.read) {
                .body(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: metrics.exposition(inventory: inventory))
            }
        default:
            return .problem(Problems.notFound("no such endpoint: \(path)"))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) -> T? {
        try? APIJSON.decoder().decode(type, from: Data(body))
    }

    private func respond<T: Encodable>(_ result: Result<T, ProblemDetails>, status: HTTPResponseStatus = .ok) -> APIResponse {
        switch result {
        case .success(let value): .json(value, status: status)
        case .failure(let problem): .problem(problem)
        }
    }

    /// One query parameter of the request target (`/v1/audit?limit=20`).
    private func query(_ target: String, _ name: String) -> String? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]).removingPercentEncoding : "" }
        }
        return nil
    }
}

/// One encoded response and the inventory version it was made from.
final class EncodedResponseCache: Sendable {
    private let entry = Mutex<(version: UInt64, bytes: [UInt8])?>(nil)

    func bytes(for version: UInt64) -> [UInt8]? {
        entry.withLock { $0?.version == version ? $0?.bytes : nil }
    }

    func store(_ bytes: [UInt8], for version: UInt64) {
        entry.withLock { $0 = (version, bytes) }
    }
}
