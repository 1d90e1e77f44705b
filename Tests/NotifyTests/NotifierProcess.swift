import Foundation
import KysoTestSupport

/// `kyso notify` started as the user service would, on a test's bus, in one language, with a state folder of its own.
struct NotifierProcess {
    let process: ChildProcess
    let stateHome: URL

    var stateFile: URL { stateHome.appendingPathComponent("kyso/notify-reminders.json") }

    /// - Parameter lang: the LANG of the session (`vi_VN.UTF-8`: no such locale is generated on the test machines).
    static func start(socket: String, bus: NotificationBus, lang: String, stateHome: URL) async throws -> NotifierProcess {
        var environment = bus.environment
        environment["LANG"] = lang
        for cleared in ["LANGUAGE", "LC_ALL", "LC_MESSAGES"] { environment[cleared] = "" }
        environment["XDG_STATE_HOME"] = stateHome.path
        let process = try ChildProcess(Lab.productsDirectory.appendingPathComponent("kyso").path, ["notify", "--socket", socket],
                                       environment: environment, name: "kyso notify (\(lang))")
        // It logs once it follows the stream (the snapshot came).
        try await eventually("kyso notify (\(lang)) following kysod", timeout: .seconds(20)) { process.text.contains(socket) }
        return NotifierProcess(process: process, stateHome: stateHome)
    }
}
