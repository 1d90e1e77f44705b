import Foundation
import KysoAPI
import KysoText
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
            if ResponseLanguage.current != .en, let worded = (value as? any LanguageDependent)?.worded(ResponseLanguage.text) {
                return .body(status: status, contentType: "application/json", bytes: Array(try APIJSON.encoder().encode(worded)))
            }
            return .body(status: status, contentType: "application/json", bytes: Array(try APIJSON.encoder().encode(value)))
        } catch {
            return problem(OperationFailure(.internalError))
        }
    }

    static func problem(_ failure: OperationFailure, headers: [(String, String)] = []) -> APIResponse {
        let problem = ProblemDetails(failure)
        let bytes = (try? APIJSON.encoder().encode(problem)).map(Array.init) ?? []
        return .body(status: HTTPResponseStatus(statusCode: problem.status), contentType: "application/problem+json",
                     bytes: bytes, extraHeaders: headers)
    }

    static func result<T: Encodable>(_ result: Result<T, OperationFailure>, status: HTTPResponseStatus = .ok) -> APIResponse {
        switch result {
        case .success(let value): .json(value, status: status)
        case .failure(let failure): .problem(failure)
        }
    }

    static let noContent = APIResponse.body(status: .noContent, contentType: "application/json", bytes: [])
}

/// The failures of the HTTP edge itself.
enum Problems {
    static func notFound(_ what: String) -> OperationFailure { OperationFailure(.notFound, what) }
    static func noSuchToken(_ id: String) -> OperationFailure {
        OperationFailure(.notFound, detail: "no token with id \(id) is present", message: Message("problem.tokenNotFound", ["id": id]))
    }
    static func notBound(_ account: String) -> OperationFailure {
        OperationFailure(.notFound, detail: "account \(account) is not bound", message: Message("problem.accountNotBound", ["account": account]))
    }
    static func forbidden(_ capability: Capability, peer: PeerCredentials) -> OperationFailure {
        OperationFailure(.forbidden, Message("problem.forbidden", ["uid": String(peer.uid), "capability": capability.rawValue]))
    }
    static func methodNotAllowed(_ method: HTTPMethod) -> OperationFailure {
        OperationFailure(.methodNotAllowed, Message("problem.methodNotAllowed", ["method": method.rawValue]))
    }
    static let tooLarge = OperationFailure(.bodyTooLarge)
    static let tooManySubscribers = OperationFailure(.tooManySubscribers, "try again later")
    static let tooManyConnections = OperationFailure(.tooManyConnections, "try again later")
    static let shuttingDown = OperationFailure(.shuttingDown)
}

/// Maps requests to answers: finds the endpoint in `Endpoint`'s table, checks the method and the caller's
/// capability there, and hands the request to the endpoint's handler (Router+Handlers.swift).
struct Router: Sendable {
    let inventory: Inventory
    let signer: Signer
    let accounts: AccountService
    /// Signature audit records are written behind the answer (see SignatureAuditWriter).
    let signatureAudit: SignatureAuditWriter
    let access: AccessPolicy
    let metrics: DaemonMetrics
    let version: String
    /// The remote signing services (nil when none is configured).
    var remote: RemoteServices? = nil
    /// The encoded token list, reused until the next event: every change to tokens or their accounts is published
    /// as an event, so the event id is the list's version.
    let tokenListCache = EncodedResponseCache()
    /// The encoded status, reused while only the uptime changes.
    let statusCache = StatusResponseCache()

    /// The route's template, for metrics.
    func routeName(_ path: String) -> String { Endpoint.label(of: path) }

    func respond(to request: APIRequest) async -> APIResponse {
        // Texts for people (problem details, PIN words, certificate warnings) follow Accept-Language; codes do not.
        let language = Language.negotiate(acceptLanguage: request.headers.first(name: "accept-language"))
        return await ResponseLanguage.$current.withValue(language) { await route(request) }
    }

    private func route(_ request: APIRequest) async -> APIResponse {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let (candidates, parameters) = Endpoint.matching(path)
        guard !candidates.isEmpty else { return .problem(Problems.notFound("no such endpoint: \(path)")) }
        guard let endpoint = candidates.first(where: { $0.method == request.method }) else {
            let allowed = candidates.map(\.method.rawValue).joined(separator: ", ")
            return .problem(Problems.methodNotAllowed(request.method), headers: [("allow", allowed)])
        }
        guard access.capabilities(of: request.peer).contains(endpoint.capability) else {
            return .problem(Problems.forbidden(endpoint.capability, peer: request.peer))
        }
        return await handle(endpoint, request, parameters: parameters)
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
