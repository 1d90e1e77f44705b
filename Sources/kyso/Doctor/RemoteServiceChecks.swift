import Foundation
import KysoAPI
import KysoText

/// One check per remote signing service kysod is configured with, from the state kysod publishes in its status:
/// a service that is down, refuses the login or lacks its secret shows no credential, and doctor says why.
enum RemoteServiceChecks {
    static func problems(_ services: [RemoteServiceStatus], now: Date = Date()) -> [Problem] {
        services.map { service in
            let name = tr("doctor.remote.name", ["service": service.name, "provider": service.provider, "url": service.baseURL])
            let checked = service.checkedAt.map { tr("doctor.remote.checked", ["seconds": tr.number(Int(now.timeIntervalSince($0).rounded()))]) } ?? ""
            let words = ["name": name, "checked": checked, "error": service.error ?? "", "service": service.name,
                         "count": tr.number(service.credentialCount)]
            let severity: Problem.Severity
            let state: String
            switch service.state {
            case .available: (severity, state) = (.note, "available")
            case .starting: (severity, state) = (.note, "starting")
            case .unreachable: (severity, state) = (.error, "unreachable")
            case .loginRejected: (severity, state) = (.error, "loginRejected")
            case .secretMissing: (severity, state) = (.error, "secretMissing")
            case .failing: (severity, state) = (.error, "failing")
            }
            return Problem(severity: severity, what: tr("doctor.remote.\(state).what", words), fix: tr("doctor.remote.\(state).fix", words))
        }
    }
}
