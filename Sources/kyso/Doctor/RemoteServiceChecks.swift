import Foundation
import KysoAPI

/// One check per remote signing service kysod is configured with, from the state kysod publishes in its status:
/// a service that is down, refuses the login or lacks its secret shows no credential, and doctor says why.
enum RemoteServiceChecks {
    static func problems(_ services: [RemoteServiceStatus], now: Date = Date()) -> [Problem] {
        services.map { service in
            let name = "remote signing service \(service.name) (\(service.provider), \(service.baseURL))"
            let checked = service.checkedAt.map { ", checked \(Int(now.timeIntervalSince($0).rounded())) s ago" } ?? ""
            switch service.state {
            case .available:
                return Problem(severity: .note, what: "\(name) is available with \(service.credentialCount) credential(s)\(checked).",
                               fix: "Nothing to do; `kyso tokens` lists its credentials beside the tokens.")
            case .starting:
                return Problem(severity: .note, what: "\(name) has not been asked yet (kysod has just started).",
                               fix: "Run `kyso doctor` again in a few seconds.")
            case .unreachable:
                return Problem(severity: .error,
                               what: "\(name) cannot be reached\(checked): \(service.error ?? ""). Its credentials are not shown and cannot sign.",
                               fix: "Check the network and the service's address (baseURL). kysod runs without network unless the "
                                   + "drop-in /etc/systemd/system/kysod.service.d/remote-signing.conf is installed (docs/remote-signing.md). "
                                   + "A private CA needs caFile.")
            case .loginRejected:
                return Problem(severity: .error,
                               what: "\(name) refuses kysod's login\(checked): \(service.error ?? ""). Its credentials are not shown.",
                               fix: "Check the user and client id in kysod's configuration, then set the secret again: "
                                   + "`sudo kyso remote secret \(service.name) password` (or client-secret).")
            case .secretMissing:
                return Problem(severity: .error, what: "\(name) has no login secret yet: \(service.error ?? "").",
                               fix: "As an administrator: `sudo kyso remote secret \(service.name) password` (or client-secret).")
            case .failing:
                return Problem(severity: .error, what: "\(name) answers, but not as the CSC API says\(checked): \(service.error ?? "").",
                               fix: "Check baseURL, version and methodPaths in kysod's configuration against the provider's documentation.")
            }
        }
    }
}
