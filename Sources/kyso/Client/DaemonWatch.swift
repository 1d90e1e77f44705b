import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoCore

/// Follows kysod's event stream for `kyso watch`, resuming with Last-Event-ID when the connection drops. When kysod
/// goes away (stopped, restarting, killed) it says so on standard error and, once kysod is back, what follows: the
/// events it missed, the new run's events from its start (ids are unique across restarts), or a snapshot.
enum DaemonWatch {
    /// How long to wait for kysod to come back (attempts twice a second).
    static let reconnectAttempts = 120

    static func run(client: KysoClient, json: Bool) async throws {
        var lastEventID: UInt64?
        var attempt = 0
        var away = false
        while true {
            do {
                var first = true
                for try await event in client.events(lastEventID: lastEventID) {
                    attempt = 0
                    let id = event.id.flatMap(UInt64.init)
                    if away && first {
                        away = false
                        if event.event == EventType.snapshot.rawValue {
                            Output.error(tr("watch.back.snapshot"))
                        } else if let id, let lastEventID, id != lastEventID + 1 {
                            Output.error(tr("watch.back.restarted"))
                        } else {
                            Output.error(tr("watch.back.nothingMissed"))
                        }
                    }
                    first = false
                    if let id { lastEventID = id }
                    if json {
                        Output.line(event.data)
                    } else if let decoded = try? APIJSON.decoder().decode(DaemonEvent.self, from: Data(event.data.utf8)) {
                        Output.line(line(decoded))
                    }
                }
                // The daemon ended the stream (shutdown or restart): say so once, then resume where we were.
                if !away {
                    away = true
                    Output.error(tr("watch.away"))
                }
            } catch {
                // Refused before any event: nothing to resume, so the error is the answer.
                guard lastEventID != nil, attempt < reconnectAttempts, isConnectionLoss(error) else { throw ClientExit.fail(error) }
                attempt += 1
                if !away {
                    away = true
                    Output.error(tr("watch.away"))
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Whether `error` means the daemon is gone (no socket, connection reset) rather than a refusal to answer.
    private static func isConnectionLoss(_ error: any Error) -> Bool {
        switch error as? KysoClient.ClientError {
        case .daemonNotRunning?, .connectionClosed?: return true
        case .some: return false
        case nil: return true  // the connection failed under the stream (kysod killed)
        }
    }

    /// One readable line per event: the time, the event's id and type (codes, the same in every language), then
    /// what happened in the reader's language.
    static func line(_ event: DaemonEvent) -> String {
        let time = event.time.formatted(Date.ISO8601FormatStyle(timeZone: .current).time(includingFractionalSeconds: false))
        let data = event.data
        let what: String
        switch event.type {
        case .snapshot:
            let tokens = data.tokens ?? []
            what = tr("watch.snapshot", ["count": tr.number(tokens.count),
                                         "tokens": tokens.map { "\($0.label) [\($0.id)]" }.joined(separator: ", ")])
        case .tokenInserted, .tokenChanged:
            let token = data.token
            let certificates = (token?.certificates ?? []).map {
                tr("watch.certificate", ["taxCode": $0.profile.taxCode.map { tr("watch.mst", ["taxCode": $0.value]) } ?? tr("watch.noMST"),
                                         "ca": $0.profile.provider.displayName, "status": $0.profile.status.words])
            }
            what = "\(token?.label ?? "?") [\(token?.id ?? "?")] \(token.map { $0.pin.words(tr) } ?? "")" + (certificates.isEmpty ? "" : " — " + certificates.joined(separator: "; "))
        case .tokenRemoved:
            what = tr("watch.tokenRemoved", ["token": data.token.map { "\($0.label) " } ?? "", "id": data.tokenId ?? "?", "module": data.module ?? "?"])
        case .readerAdded, .readerRemoved, .cardRemoved:
            what = data.reader ?? ""
        case .cardInserted:
            what = "\(data.reader ?? "") ATR \(data.atr ?? "")"
        case .moduleFailed, .moduleStuck:
            what = "\(data.module ?? ""): \(data.error ?? "")"
        case .moduleRecovered:
            what = data.module ?? ""
        case .pcscUnavailable, .pcscAvailable:
            what = data.error ?? ""
        case .bindingCreated, .bindingMoved:
            let binding = data.binding
            what = tr("watch.binding", ["account": data.account ?? "?", "role": binding.map { tr("role.\($0.role.rawValue)") } ?? "?",
                                        "taxCode": binding?.taxCode ?? "?", "serial": binding?.certificate.serialNumber ?? "?"])
        case .bindingRemoved:
            what = data.account ?? ""
        case .bindingRenewalNeeded:
            what = tr("watch.renewalNeeded", ["account": data.account ?? "?", "certificate": data.certificate ?? "?"])
        case .certificateExpiring:
            what = tr("watch.certificateExpiring", ["certificate": data.certificate ?? "?", "id": data.tokenId ?? "?",
                                                    "days": tr.number(data.daysLeft ?? 0)])
        case .certificateExpired:
            what = tr("watch.certificateExpired", ["certificate": data.certificate ?? "?", "id": data.tokenId ?? "?"])
        case .bindingExpiring:
            what = tr("watch.bindingExpiring", ["account": data.account ?? "?", "certificate": data.certificate ?? "?"])
        case .signatureAwaitingApproval:
            what = RemoteTokenText.awaitingApproval(data)
        }
        // Labels, reader and module names and errors come from others: escaped, line breaks too.
        return "\(time) #\(event.id) \(event.type.rawValue) \(TerminalText.field(what))"
    }
}
