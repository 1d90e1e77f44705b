import ArgumentParser
import Dispatch
import Foundation
import KysoText
import KysoCore
import ReaderMonitoring
import Logging
import PCSC

/// `kyso watch`: reader, card and token events, live, one line each.
///
/// Through kysod by default; `--direct` runs Kyso's own reader monitor in this process instead, for
/// machines without the daemon or to tell a daemon problem from a PC/SC one.
struct WatchCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "watch", abstract: tr("watch.abstract"), discussion: tr("watch.discussion"))
    }

    @Flag(help: ArgumentHelp(tr("watch.direct.help"))) var direct = false
    @Flag(help: ArgumentHelp(tr("watch.json.help"))) var json = false
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
        var line = "\(stamp)  \(TerminalText.field(words(event)))"
        if case .serviceLost(let error) = event, error.code.hint == nil {
            line += " " + tr("watch.direct.waiting")
        }
        return line
    }

    /// The event in the reader's language (ReaderEvent's own description is English, for logs).
    static func words(_ event: ReaderEvent) -> String {
        switch event {
        case .readerAdded(let reader): tr("watch.direct.readerAdded", ["reader": reader])
        case .readerRemoved(let reader): tr("watch.direct.readerRemoved", ["reader": reader])
        case .cardInserted(let reader, let atr):
            atr.isEmpty ? tr("watch.direct.cardInsertedMute", ["reader": reader])
                : tr("watch.direct.cardInserted", ["reader": reader, "atr": atr.hexString])
        case .cardRemoved(let reader): tr("watch.direct.cardRemoved", ["reader": reader])
        case .cardStateChanged(let reader, let state):
            tr("watch.direct.cardState", ["reader": reader, "state": state.words.isEmpty ? tr("cardState.idle")
                : state.words.map { tr("cardState.\($0)") }.joined(separator: ", ")])
        case .serviceLost(let error):
            tr("watch.direct.serviceLost", ["error": error.code.hintMessage.map { tr($0) } ?? "\(error)"])
        case .serviceRestored: tr("watch.direct.serviceRestored")
        }
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
