import Foundation
import KysoAPI
import KysoCore

/// The handlers of setting a secret, backup and restore (issue 13): admin capability, checked by the router.
extension Router {
    func handleAdministration(_ endpoint: Endpoint, _ request: APIRequest, parameters: [String]) async -> APIResponse {
        let peer = request.peer
        switch endpoint {
        case .storeSecret:
            let body: SecretStoreRequest
            do {
                body = try Self.decodeInPlace(SecretStoreRequest.self, from: request.body)
            } catch is UnknownWireValue {
                return .problem(.badRequest("sealing is auto, token or host"))
            } catch {
                return .problem(.badRequest("the body must be JSON: {\"value\": …, \"sealing\": …, \"pin\": …}"))
            }
            let order = SecretOrder(account: parameters[0], kind: parameters[1], value: body.value, sealing: body.sealing ?? .auto,
                                    authorization: KeyAuthorization(caller: peer.uid, pin: body.pin, allowFinalTry: body.allowFinalTry ?? false))
            return .result(await accounts.storeSecret(order, caller: peer))
        case .backup:
            guard let body = try? Self.decodeInPlace(BackupRequest.self, from: request.body) else {
                return .problem(.badRequest("the body must be JSON: {\"passphrase\": …}"))
            }
            return .result(await accounts.backup(passphrase: body.passphrase, caller: peer))
        case .restore:
            let body: RestoreRequest
            do {
                body = try Self.decodeInPlace(RestoreRequest.self, from: request.body)
            } catch {
                return .problem(.badRequest("the body must be JSON: {\"backup\": {…}, \"passphrase\": …, \"onConflict\": …}"))
            }
            return .result(await accounts.restore(body, caller: peer))
        default:
            return .problem(Problems.notFound("no such endpoint"))
        }
    }
}
