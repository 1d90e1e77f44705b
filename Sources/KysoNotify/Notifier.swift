public import DesktopNotifications
public import Foundation
public import KysoAPI
public import KysoText

/// Where notifications go: the session's notification server, or a test's stand-in.
public protocol NotificationSink: Sendable {
    func show(_ notification: DesktopNotification) async throws
}

extension NotificationServer: NotificationSink {}

/// `kyso notify`'s loop: follows kysod's event stream and shows what a declarant should know, each reminder once.
///
/// When kysod goes away (restart, upgrade, stop) it tries again after 0.5 s, doubling to at most 30 s, and resumes
/// with Last-Event-ID; it gives up only when the socket refuses this user (a group membership needs a new login).
public struct Notifier: Sendable {
    public let client: KysoClient
    public let sink: any NotificationSink
    public let language: Language
    public let stateFile: URL
    /// Messages for people reading the journal (`journalctl --user -u kyso-notify`).
    public let log: @Sendable (String) -> Void

    static let firstRetry: Duration = .milliseconds(500)
    static let longestRetry: Duration = .seconds(30)

    public init(client: KysoClient, sink: any NotificationSink, language: Language, stateFile: URL,
                log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.sink = sink
        self.language = language
        self.stateFile = stateFile
        self.log = log
    }

    /// The default state file for `environment` ($XDG_STATE_HOME/kyso/notify-reminders.json).
    public static func defaultStateFile(environment: [String: String]) -> URL {
        GivenReminders.defaultFile(environment: environment)
    }

    /// Runs until cancelled; throws only when kysod refuses this user.
    public func run() async throws {
        let messages = Messages.forLanguage(language)
        let given = await GivenReminders.load(file: stateFile) { path in log(messages("notify.log.stateUnreadable", ["path": path])) }
        var notifier = EventNotifier(text: NotificationText(language: language))
        var lastEventID: UInt64?
        var retry = Self.firstRetry
        // What kept kysod away, if anything; "" at start, so the first connection is logged too.
        var away: String? = ""
        while !Task.isCancelled {
            do {
                for try await message in client.events(lastEventID: lastEventID) {
                    if away != nil {
                        log(messages("notify.log.connected", ["socket": client.socketPath]))
                        away = nil
                    }
                    retry = Self.firstRetry
                    if let id = message.id.flatMap(UInt64.init) { lastEventID = id }
                    guard let event = try? APIJSON.decoder().decode(DaemonEvent.self, from: Data(message.data.utf8)) else { continue }
                    for planned in notifier.plan(event, now: Date()) {
                        await show(planned, given: given, messages: messages)
                    }
                }
                // kysod ended the stream: it is stopping or restarting.
                if away == nil { log(messages("notify.log.away")) }
                away = away ?? ""
            } catch let error as KysoClient.ClientError {
                switch error {
                case .socketPermissionDenied, .accessRefused: throw error
                default:
                    if away != "\(error)" { log(messages("notify.log.waiting", ["error": "\(error)"])) }
                    away = "\(error)"
                }
            } catch {
                if away != "\(error)" { log(messages("notify.log.waiting", ["error": "\(error)"])) }
                away = "\(error)"
            }
            try? await Task.sleep(for: retry)
            retry = min(retry * 2, Self.longestRetry)
        }
    }

    private func show(_ planned: PlannedNotification, given: GivenReminders, messages: Messages) async {
        if let reminder = planned.reminder, given.contains(reminder) { return }
        do {
            try await sink.show(planned.notification)
        } catch {
            // No server (yet): the reminder stays unrecorded, so the next event or snapshot that is due it tries again.
            log(messages("notify.log.showFailed", ["summary": planned.notification.summary, "error": "\(error)"]))
            return
        }
        guard let reminder = planned.reminder else { return }
        do {
            try await given.record(reminder)
        } catch {
            log(messages("notify.log.stateUnwritable", ["error": "\(error)"]))
        }
    }
}
