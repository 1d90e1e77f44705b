import ArgumentParser
import Dispatch
import Foundation
import KysoCore
import ReaderMonitoring
import Logging
import PCSC

/// `kyso watch`: reader, card and token events, live, one line each.
///
/// Through kysod by default; `--direct` runs Kyso's own reader monitor in this process instead, for
/// machines without the daemon or to tell a daemon problem from a PC/SC one.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print reader, card and token events as they happen (Ctrl-C to stop).",
        discussion: """
            --direct needs no daemon: it watches pcscd itself (readers and cards, not PKCS#11 tokens) and keeps \
            running through pcscd restarts. It never connects to a card, so other programs keep working.
            """)

    @Flag(help: "Watch pcscd directly with Kyso's reader monitor, without kysod.") var direct = false
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var connection: DaemonConnection

    func run() async throws {
        if direct {
            await DirectWatch.run(json: json)
        } else {
            try await DaemonWatch.run(client: connection.client, json: json)
        }
    }
}

/// `kyso watch --direct`: a ``ReaderMonitor`` in this process, its events printed until SIGINT/SIGTERM.
enum DirectWatch {
    static func run(json: Bool) async {
        var logger = Logger(label: "kyso.watch")
        logger.logLevel = .critical  // problems are events here (serviceLost), printed with their fix
        let monitor = ReaderMonitor(logger: logger)
        let running = Task { try? await monitor.run() }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { running.cancel() }  // the monitor stops its wait with SCardCancel
            source.resume()
            return source
        }
        for await event in monitor.events {
            Output.line(json ? jsonLine(event) : textLine(event))
        }
        _ = await running.value
        signals.forEach { $0.cancel() }
    }

    /// `08:15:02.417  card inserted: Kyso vpcd 40000 00 00 ATR 3b8b…`, plus the fix when pcscd is unreachable.
    static func textLine(_ event: ReaderEvent, at time: Date = Date()) -> String {
        let stamp = time.formatted(Date.ISO8601FormatStyle(timeZone: .current).time(includingFractionalSeconds: true))
        // Reader names come from drivers and virtual readers: escaped, line breaks too.
        var line = "\(stamp)  \(TerminalText.field("\(event)"))"
        if case .serviceLost(let error) = event, error.code.hint == nil {
            line += " (waiting for pcscd)"
        }
        return line
    }

    /// `{"time":"…","type":"cardInserted","reader":"…","atr":"3b8b…"}`: camelCase, RFC 3339, hex ATR.
    static func jsonLine(_ event: ReaderEvent, at time: Date = Date()) -> String {
        var record = WatchRecord(time: time, type: event.kind, reader: event.reader)
        switch event {
        case .cardInserted(_, let atr): record.atr = atr.hexString
        case .cardStateChanged(_, let state): record.state = state.words
        case .serviceLost(let error):
            record.error = error.description
            record.code = error.code.name
            record.hint = error.code.hint
        default: break
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return (try? String(decoding: encoder.encode(record), as: UTF8.self)) ?? #"{"type":"encodingFailed"}"#
    }
}

/// One `kyso watch --direct --json` line.
struct WatchRecord: Encodable {
    var time: Date
    var type: String
    var reader: String?
    var atr: String?
    var state: [String]?
    var error: String?
    var code: String?
    var hint: String?
}
