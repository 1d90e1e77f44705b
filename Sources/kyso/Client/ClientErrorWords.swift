import KysoAPI
import KysoText

/// What went wrong between kyso and kysod, in the reader's language. kysod's own details arrive already in it
/// (kyso sends Accept-Language); the sentences around them are kyso's. Other errors keep their own words.
enum ClientErrorWords {
    static func words(_ error: any Error) -> String {
        guard let error = error as? KysoClient.ClientError else { return "\(error)" }
        switch error {
        case .daemonNotRunning(let socket, let reason):
            return tr("client.daemonNotRunning", ["socket": socket, "reason": reason])
        case .socketPermissionDenied(let socket):
            return tr("client.socketPermissionDenied", ["socket": socket])
        case .accessRefused(let problem):
            return tr("client.accessRefused", ["detail": problem.detail ?? problem.title, "code": problem.code])
        case .problem(let problem):
            return tr("client.problem", ["detail": problem.detail ?? problem.title, "code": problem.code,
                                         "status": String(problem.status)])
        case .unexpectedResponse(let status, let body):
            return tr("client.unexpectedResponse", ["status": String(status), "body": body])
        case .connectionClosed:
            return tr("client.connectionClosed")
        }
    }
}
