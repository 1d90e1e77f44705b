import Foundation
import KysoAPI
import KysoCore
import KysoStore
import KysoText

/// The remote signing endpoints: have a one-time password sent, and the services' sealed secrets (admin).
extension Router {
    func handleRemote(_ endpoint: Endpoint, _ request: APIRequest, parameters: [String]) async -> APIResponse {
        let peer = request.peer
        switch endpoint {
        case .sendOTP:
            guard let backend = remote?.backend(holding: parameters[0]) else {
                // A token that is not a remote credential has no one-time password to send: as good as absent here.
                return .problem(inventory.token(id: parameters[0]) == nil
                    ? Problems.notFound("no token with id \(parameters[0]) is present")
                    : OperationFailure(.tokenNotFound, Message("problem.remote.notRemote", ["id": parameters[0]])))
            }
            switch await backend.sendOTP(tokenId: parameters[0]) {
            case .success: return .noContent
            case .failure(let failure): return .problem(failure)
            }
        case .setRemoteSecret:
            guard let remote else { return .problem(RemoteServices.unknownService(parameters[0], known: [])) }
            guard let body = try? Self.decodeInPlace(RemoteSecretRequest.self, from: request.body) else {
                return .problem(.badRequest("the body must be JSON: {\"value\": \"…\"}"))
            }
            let detail = "\(parameters[0]) \(parameters[1])"
            let result = remote.storeSecret(service: parameters[0], kind: parameters[1], value: body.value)
            let outcome: AuditOutcome = switch result {
            case .success: .success
            case .failure(let failure): failure.auditOutcome
            }
            let recorded = await accounts.audit(.remoteSecretStore, caller: peer, outcome: outcome,
                                                detail: detail + (result.isSuccess ? "" : ": \(result.failureCode?.rawValue ?? "")"))
            switch result {
            case .success: return recorded ? .noContent : .problem(AuditJournal.unavailable)
            case .failure(let failure): return .problem(failure)
            }
        case .revealRemoteSecret:
            guard let remote else { return .problem(RemoteServices.unknownService(parameters[0], known: [])) }
            let result = remote.revealSecret(service: parameters[0], kind: parameters[1])
            switch result {
            case .success(let secret):
                // No record, no secret: a reveal nobody can trace must not happen.
                guard await accounts.audit(.remoteSecretReveal, caller: peer, outcome: .success, detail: "\(parameters[0]) \(parameters[1])") else {
                    return .problem(AuditJournal.unavailable)
                }
                return .json(secret)
            case .failure(let failure):
                await accounts.audit(.remoteSecretReveal, caller: peer, outcome: failure.auditOutcome,
                                     detail: "\(parameters[0]) \(parameters[1]): \(failure.code.rawValue)")
                return .problem(failure)
            }
        default:
            return .problem(Problems.notFound("no such endpoint"))
        }
    }
}
