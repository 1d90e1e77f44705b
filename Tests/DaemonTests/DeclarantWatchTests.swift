import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Issue 13, bug 2: `kyso watch` across a restart of kysod.
@Suite("kyso watch across a kysod restart (issue 13)")
struct DeclarantWatchTests {
    @Test("bug 2: the watcher says kysod went away and came back, and shows every token.inserted of the new run")
    func watchAcrossRestart() async throws {
        let (labDirectory, manifest) = try await Lab.copy()
        let environment = ["SOFTHSM2_CONF": labDirectory.appendingPathComponent("softhsm2.conf").path]
        let arguments = ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", "0.2"]
        let first = try await DaemonProcess(arguments: arguments, environment: environment)
        let watch = try ChildProcess(Lab.productsDirectory.appendingPathComponent("kyso").path,
                                     ["watch", "--json", "--socket", first.socketPath], name: "kyso watch")
        defer { watch.killNow() }
        try await eventually("kyso watch's first snapshot", timeout: .seconds(20)) { Self.count(.snapshot, in: watch.text) == 1 }
        let before = watch.text

        // The same socket, state and tokens: a restart as systemd does it.
        try await first.stop()
        let second = try await DaemonProcess(
            arguments: arguments + ["--socket", first.socketPath, "--state-dir", first.directory.appendingPathComponent("state").path],
            environment: environment)
        let tokens = manifest.tokens.count
        try await eventually("the new run's \(tokens) token.inserted events after the restart", timeout: .seconds(30)) {
            Self.count(.tokenInserted, in: String(watch.text.dropFirst(before.count))) == tokens
        }
        let after = String(watch.text.dropFirst(before.count))
        #expect(after.contains("kysod went away"), "\(after)")
        #expect(after.contains("kysod is back"), "\(after)")
        #expect(watch.isRunning, "kyso watch gave up: \(watch.text)")
        try await watch.stop()
        try await second.stop()
    }

    /// How many events of `type` the JSON lines in `text` hold.
    static func count(_ type: EventType, in text: String) -> Int {
        text.split(separator: "\n").filter { line in
            guard let event = try? APIJSON.decoder().decode(DaemonEvent.self, from: Data(line.utf8)) else { return false }
            return event.type == type
        }.count
    }
}
