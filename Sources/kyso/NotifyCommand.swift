import ArgumentParser
import Dispatch
import DesktopNotifications
import Foundation
import KysoAPI
import KysoNotify

/// `kyso notify`: kysod's events as desktop notifications, for a declarant who is not watching a terminal.
/// Run by the systemd user unit kyso-notify.service (systemd/kyso-notify.service), or by hand in a session.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: tr("notify.abstract"), discussion: tr("notify.discussion"))

    @Option(help: ArgumentHelp(tr("notify.stateFile.help"), valueName: "PATH")) var stateFile: String?
    @OptionGroup var connection: DaemonConnection

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let server = NotificationServer(appName: "Kyso")
        let notifier = Notifier(
            client: connection.client, sink: server, language: KysoLanguage.chosen,
            stateFile: stateFile.map { URL(fileURLWithPath: $0) } ?? Notifier.defaultStateFile(environment: environment),
            log: { Output.error("kyso notify: \($0)") })
        let running = Task { try await notifier.run() }
        // SIGTERM (systemctl --user stop) and SIGINT end the loop; what was shown is on disk already.
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { running.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let result = await running.result
        await server.shutdown()
        if case .failure(let error) = result { throw ClientExit.fail(error) }
    }
}
