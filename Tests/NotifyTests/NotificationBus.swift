import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A session D-Bus of the test's own (dbus-daemon in its temp folder), a real notification server on it
/// (notification-daemon, drawing on an Xvfb display of its own), and dbus-monitor recording every
/// org.freedesktop.Notifications.Notify call: what a person's desktop would have shown.
final class NotificationBus: @unchecked Sendable {
    /// One Notify call as the monitor saw it.
    struct Shown: Equatable, CustomStringConvertible {
        var appName: String
        var icon: String
        var summary: String
        var body: String
        var description: String { "[\(summary)] \(body)" }
    }

    static let programs = ["dbus-daemon": "/usr/bin/dbus-daemon", "dbus-monitor": "/usr/bin/dbus-monitor", "dbus-send": "/usr/bin/dbus-send",
                           "Xvfb": "/usr/bin/Xvfb", "notification-daemon": "/usr/lib/notification-daemon/notification-daemon"]

    /// Why the bus cannot be made here (a program missing; scripts/install-deps installs them), or nil.
    static var unavailableReason: String? {
        let missing = programs.filter { !FileManager.default.isExecutableFile(atPath: $0.value) }.keys.sorted()
        return missing.isEmpty ? nil : "needs \(missing.joined(separator: ", ")) (scripts/install-deps)"
    }

    static var isAvailable: Bool {
        if let reason = unavailableReason { print("NotifyTests skipped: \(reason)") }
        return unavailableReason == nil
    }

    let directory: URL
    let address: String
    let display: String
    private let monitorLog: URL
    private var processes: [Process] = []

    /// The environment a client of this bus needs.
    var environment: [String: String] { ["DBUS_SESSION_BUS_ADDRESS": address, "DISPLAY": display] }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-bus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        address = "unix:path=\(directory.appendingPathComponent("bus").path)"
        monitorLog = directory.appendingPathComponent("monitor.log")
        display = ":\(Self.freeDisplay())"
        do {
            try start(Self.programs["dbus-daemon"]!, ["--session", "--nofork", "--nopidfile", "--address=\(address)"])
            try await waitFor("the session bus") { FileManager.default.fileExists(atPath: self.directory.appendingPathComponent("bus").path) }
            try start(Self.programs["Xvfb"]!, [display, "-screen", "0", "1024x600x24", "-nolisten", "tcp"])
            try await waitFor("Xvfb \(display)") {
                FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(self.display.dropFirst())")
            }
            // NO_AT_BRIDGE: GTK would otherwise start the accessibility bus (at-spi), which outlives the test.
            try start(Self.programs["notification-daemon"]!, [], environment: environment.merging(["NO_AT_BRIDGE": "1", "GTK_A11Y": "none"]) { $1 })
            try await waitFor("org.freedesktop.Notifications on the bus") { try self.nameHasOwner("org.freedesktop.Notifications") }
            try start(Self.programs["dbus-monitor"]!, ["--address", address,
                                                       "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
                      output: monitorLog)
            // The monitor is listening once it has printed its own NameAcquired signal.
            try await waitFor("dbus-monitor") { ((try? String(contentsOf: self.monitorLog, encoding: .utf8)) ?? "").contains("NameLost") }
        } catch {
            stop()
            throw error
        }
    }

    /// Every Notify call so far, in order.
    func shown() -> [Shown] {
        let text = (try? String(contentsOf: monitorLog, encoding: .utf8)) ?? ""
        // dbus-monitor prints each argument on its own line (`   string "…"`, strings with line breaks as they are).
        let pattern = #/member=Notify\n\s+string "(?<app>.*?)"\n\s+uint32 \d+\n\s+string "(?<icon>.*?)"\n\s+string "(?<summary>.*?)"\n\s+string "(?<body>(?s:.*?))"\n\s+array \[/#
        return text.matches(of: pattern).map {
            Shown(appName: String($0.app), icon: String($0.icon), summary: String($0.summary), body: Self.unescape(String($0.body)))
        }
    }

    /// Waits until a notification whose summary contains `summary` was shown; returns it.
    @discardableResult
    func waitForNotification(_ summary: String, timeout: Duration = .seconds(30)) async throws -> Shown {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = shown().first(where: { $0.summary.contains(summary) }) { return found }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("no notification \"\(summary)\" within \(timeout); shown: \(shown())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A screenshot of the display (xwd's dump of the root window), for a person to look at.
    func screenshot(to file: URL) throws {
        try Shell.run("/usr/bin/xwd", ["-root", "-silent", "-display", display, "-out", file.path])
    }

    /// SIGKILL by pid: these hold nothing worth a clean exit, and a test process may hand its children an ignored SIGTERM.
    func stop() {
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes = []
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: -

    private func start(_ program: String, _ arguments: [String], environment: [String: String] = [:], output: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        process.environment = env
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
    }

    private func waitFor(_ what: String, _ condition: @escaping () throws -> Bool) async throws {
        try await eventually(what, timeout: .seconds(20), condition)
    }

    private func nameHasOwner(_ name: String) throws -> Bool {
        let reply = try Shell.run(Self.programs["dbus-send"]!, [
            "--bus=\(address)", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", "string:\(name)",
        ])
        return String(decoding: reply, as: UTF8.self).contains("boolean true")
    }

    /// The markup entities kyso escapes in bodies for servers that read markup (notification-daemon does).
    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// A display number no X server uses (its socket is absent).
    private static func freeDisplay() -> Int {
        var number = 200 + Int(getpid() % 300)
        while FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(number)") || FileManager.default.fileExists(atPath: "/tmp/.X\(number)-lock") {
            number += 1
        }
        return number
    }
}
