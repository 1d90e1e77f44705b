import Foundation
import KysoText
import KysoAPI
import Synchronization

/// What the running kysod says about its modules. kysod has watched them all along, so it sees what one look by
/// doctor cannot: a module stuck since a card was pulled, or one whose slot list keeps failing. Silent (nil) when
/// kysod does not answer: doctor needs no daemon.
enum DaemonHealthCheck {
    /// How long doctor waits for kysod's answer.
    static let timeout: Duration = .seconds(5)

    static func run(client: KysoClient, socket: String, now: Date = Date()) async -> (DaemonSection?, [Problem]) {
        guard let status = await fetchStatus(client) else { return (nil, []) }
        var problems: [Problem] = []
        for module in status.modules {
            let since = module.since.map { tr("status.since", ["seconds": tr.number(Int(now.timeIntervalSince($0).rounded()))]) } ?? ""
            switch module.state {
            case .stuck where module.host != nil, .failed where module.host != nil:
                problems.append(Problem(
                    severity: .error,
                    what: tr("doctor.daemon.hostFailing.what", [
                        "module": module.name, "state": tr("doctor.daemon.state.\(module.state.rawValue)"), "since": since,
                        "error": module.error ?? "", "restarts": tr.number(module.host?.restarts ?? 0),
                        "crashes": tr.number(module.host?.crashes ?? 0)]),
                    fix: tr("doctor.daemon.hostFailing.fix")))
            case .stuck:
                problems.append(Problem(
                    severity: .error,
                    what: tr("doctor.daemon.stuck.what", ["module": module.name, "call": module.pendingCall ?? tr("status.aCall"), "since": since]),
                    fix: tr("doctor.daemon.stuck.fix")))
            case .failed where module.watch != .none:
                problems.append(Problem(
                    severity: .error,
                    what: tr("doctor.daemon.failed.what", ["module": module.name, "since": since,
                                                            "error": module.error ?? tr("doctor.daemon.noSlotList")]),
                    fix: tr("doctor.daemon.failed.fix")))
            default:
                break  // loaded, or never loaded: doctor's own load of the module explains that case
            }
        }
        problems += RemoteServiceChecks.problems(status.remoteServices ?? [], now: now)
        problems += await expiringBindings(client, now: now)
        let modules = status.modules.map {
            DaemonSection.DaemonModule(name: $0.name, state: $0.state, error: $0.error, pendingCall: $0.pendingCall, since: $0.since,
                                       tokenCount: $0.tokenCount)
        }
        return (DaemonSection(socket: socket, version: status.version, modules: modules), problems)
    }

    /// Accounts whose certificate ends within 30 days (a warning) or has ended (an error), from kysod's bindings
    /// (issue 13: reminders that reach people). Nothing when the bindings cannot be read.
    private static func expiringBindings(_ client: KysoClient, now: Date) async -> [Problem] {
        guard let list = try? await client.request(.GET, "/v1/bindings").decode(BindingListResponse.self) else { return [] }
        return list.bindings.compactMap { binding in
            let notAfter = binding.certificate.notAfter
            let days = Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
            guard days < 30 else { return nil }
            let ended = notAfter <= now
            return Problem(
                severity: ended ? .error : .warning,
                what: tr(ended ? "doctor.binding.ended.what" : "doctor.binding.ending.what", [
                    "account": binding.account, "serial": binding.certificate.serialNumber, "day": BindingText.day(notAfter),
                    "days": tr.number(days)]),
                fix: tr("doctor.binding.fix", ["ca": CAName.display(binding.certificate.provider), "account": binding.account]))
        }
    }

    /// GET /v1/status, or nil when kysod is not there, refuses, or does not answer within `timeout`.
    private static func fetchStatus(_ client: KysoClient) async -> StatusResponse? {
        await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (StatusResponse?) -> Void = { status in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: status) }
            }
            Task {
                let response = try? await client.request(.GET, "/v1/status")
                answer(response.flatMap { $0.status == 200 ? try? $0.decode(StatusResponse.self) : nil })
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer(nil)
            }
        }
    }
}
