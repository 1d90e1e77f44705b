import ArgumentParser
import Foundation
import KysoAPI
import KysoCore

/// Follows kysod's event stream for `kyso watch`, resuming with Last-Event-ID when the connection drops.
enum DaemonWatch {
    static func run(client: KysoClient, json: Bool) async throws {
        var lastEventID: UInt64?
        var attempt = 0
        while true {
            do {
                for try await event in client.events(lastEventID: lastEventID) {
                    attempt = 0
                    if let id = event.id.flatMap(UInt64.init) { lastEventID = id }
                    if json {
                        Output.line(event.data)
                    } else if let decoded = try? APIJSON.decoder().decode(DaemonEvent.self, from: Data(event.data.utf8)) {
                        Output.line(line(decoded))
                    }
                }
                // The daemon ended the stream (restart or shutdown): resume where we were.
            } catch let error as KysoClient.ClientError {
                if case .daemonNotRunning = error, lastEventID != nil, attempt < 30 {
                    attempt += 1
                } else {
                    throw ClientExit.fail(error)
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// One readable line per event.
    static func line(_ event: DaemonEvent) -> String {
        let time = event.time.formatted(Date.ISO8601FormatStyle(timeZone: .current).time(includingFractionalSeconds: false))
        let data = event.data
        let what: String
        switch event.type {
        case .snapshot:
            let tokens = data.tokens ?? []
            what = "\(tokens.count) token(s): " + tokens.map { "\($0.label) [\($0.id)]" }.joined(separator: ", ")
        case .tokenInserted, .tokenChanged:
            let token = data.token
            let certificates = (token?.certificates ?? []).map {
                "\($0.profile.taxCode.map { "MST \($0.value)" } ?? "no MST") \($0.profile.provider.displayName) \($0.profile.status.rawValue)"
            }
            what = "\(token?.label ?? "?") [\(token?.id ?? "?")] \(token?.pinWords ?? "")" + (certificates.isEmpty ? "" : " — " + certificates.joined(separator: "; "))
        case .tokenRemoved:
            what = "[\(data.tokenId ?? "?")] from \(data.module ?? "?")"
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
        case .bindingCreated:
            let binding = data.binding
            what = "\(data.account ?? "?") (\(binding?.role.rawValue ?? "?"), MST \(binding?.taxCode ?? "?")) → certificate \(binding?.certificate.serialNumber ?? "?")"
        case .bindingRemoved:
            what = data.account ?? ""
        case .bindingRenewalNeeded:
            what = "\(data.account ?? "?"): a renewed certificate \(data.certificate ?? "?") is on a token; run kyso rebind"
        case .bindingExpiring:
            what = "\(data.account ?? "?"): its certificate \(data.certificate ?? "?") expires within 30 days"
        }
        // Labels, reader and module names and errors come from others: escaped, line breaks too.
        return "\(time) #\(event.id) \(event.type.rawValue) \(TerminalText.field(what))"
    }
}
