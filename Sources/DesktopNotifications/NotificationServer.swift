import CSystemdBus
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The session's notification server (org.freedesktop.Notifications on the session D-Bus), called through sd-bus.
///
/// Why sd-bus (libsystemd) rather than libnotify: libnotify brings GLib, GObject, GIO and gdk-pixbuf (a dozen shared
/// libraries) into every `kyso` process, and kyso is one binary whose other commands run for milliseconds.
/// libsystemd is on every systemd machine already, is maintained with systemd, and its typed message API (append a
/// string, open an array, …) builds the Notify call with no D-Bus wire format of ours; only its variadic
/// conveniences (sd_bus_call_method) are out of Swift's reach, so the call is built argument by argument below.
///
/// An sd_bus connection belongs to one thread and every call blocks (a round trip, seconds while a server is
/// activated), so all of them run on one thread of their own, never on the cooperative pool.
public final class NotificationServer: Sendable {
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let appName: String
    private let connection = SessionBus()

    public struct ShowError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(appName: String) {
        self.appName = appName
        thread.start()
    }

    /// Shows `notification`; returns once the server has answered Notify, throws when there is no session bus or
    /// no server on it (the next call connects afresh).
    public func show(_ notification: DesktopNotification) async throws {
        let appName = self.appName
        let connection = self.connection
        try await thread.runIfActive {
            let bus = try connection.open()
            do {
                // The capabilities are asked each time: a server started after us (or replaced) may read markup or not.
                let markup = try Self.capabilities(bus).contains("body-markup")
                try Self.notify(bus, appName: appName, notification, body: markup ? notification.escapedBody : notification.body)
            } catch {
                connection.close()
                throw error
            }
        }
    }

    /// Stops the notification thread and closes the connection; call once, when done.
    public func shutdown() async {
        let connection = self.connection
        try? await thread.runIfActive { connection.close() }
        try? await thread.shutdownGracefully()
    }

    // MARK: The two calls (Desktop Notifications Specification 1.2)

    /// `Notify(app_name s, replaces_id u, app_icon s, summary s, body s, actions as, hints a{sv}, expire_timeout i)`.
    private static func notify(_ bus: OpaquePointer, appName: String, _ notification: DesktopNotification, body: String) throws {
        let reply = try call(bus, "Notify") { message in
            try append(message, string: appName)
            var replaces: UInt32 = 0
            try check(sd_bus_message_append_basic(message, type("u"), &replaces), "replaces_id")
            try append(message, string: notification.icon)
            try append(message, string: notification.summary)
            try append(message, string: body)
            try check(sd_bus_message_open_container(message, type("a"), "s"), "actions")
            try check(sd_bus_message_close_container(message), "actions")
            try check(sd_bus_message_open_container(message, type("a"), "{sv}"), "hints")
            try hint(message, "urgency", "y") { var urgency = notification.urgency.rawValue; return sd_bus_message_append_basic($0, type("y"), &urgency) }
            try hint(message, "category", "s") { message in notification.category.withCString { sd_bus_message_append_basic(message, type("s"), $0) } }
            try check(sd_bus_message_close_container(message), "hints")
            var expireTimeout: Int32 = -1  // the server's default
            try check(sd_bus_message_append_basic(message, type("i"), &expireTimeout), "expire_timeout")
        }
        sd_bus_message_unref(reply)
    }

    /// `GetCapabilities() → as`: `body`, `body-markup`, `actions`, …
    private static func capabilities(_ bus: OpaquePointer) throws -> Set<String> {
        let reply = try call(bus, "GetCapabilities") { _ in }
        defer { sd_bus_message_unref(reply) }
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        try check(sd_bus_message_read_strv(reply, &list), "GetCapabilities reply")
        var capabilities: Set<String> = []
        if let list {
            var index = 0
            while let item = list[index] {
                capabilities.insert(String(cString: item))
                free(item)
                index += 1
            }
            free(list)
        }
        return capabilities
    }

    // MARK: sd-bus pieces

    private static func call(_ bus: OpaquePointer, _ member: String, arguments: (OpaquePointer) throws -> Void) throws -> OpaquePointer {
        var message: OpaquePointer?
        try check(sd_bus_message_new_method_call(bus, &message, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                                 "org.freedesktop.Notifications", member), member)
        guard let message else { throw ShowError(description: "\(member): no message") }
        defer { sd_bus_message_unref(message) }
        try arguments(message)
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        let result = sd_bus_call(bus, message, 25_000_000, &error, &reply)  // µs: a server being activated is slow
        guard result >= 0, let reply else {
            let text = error.message.map { String(cString: $0) } ?? String(cString: strerror(-result))
            throw ShowError(description: "\(member): \(text)")
        }
        return reply
    }

    /// One `{sv}` entry of the hints.
    private static func hint(_ message: OpaquePointer, _ key: String, _ signature: String, value: (OpaquePointer) -> Int32) throws {
        try check(sd_bus_message_open_container(message, type("e"), "sv"), key)
        try append(message, string: key)
        try check(sd_bus_message_open_container(message, type("v"), signature), key)
        try check(value(message), key)
        try check(sd_bus_message_close_container(message), key)
        try check(sd_bus_message_close_container(message), key)
    }

    private static func append(_ message: OpaquePointer, string: String) throws {
        try check(string.withCString { sd_bus_message_append_basic(message, type("s"), $0) }, "a string argument")
    }

    private static func type(_ code: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: code)) }

    /// sd-bus returns a negative errno on failure.
    private static func check(_ result: Int32, _ what: String) throws {
        if result < 0 { throw ShowError(description: "\(what): \(String(cString: strerror(-result)))") }
    }
}

/// The sd_bus connection to the session bus, opened on first use and after a failure; touched only on the
/// notification thread (sd-bus connections are not shared between threads).
final class SessionBus: @unchecked Sendable {
    private var bus: OpaquePointer?

    /// sd_bus_open_user: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
    func open() throws -> OpaquePointer {
        if let bus { return bus }
        var opened: OpaquePointer?
        let result = sd_bus_open_user(&opened)
        guard result >= 0, let opened else {
            throw NotificationServer.ShowError(description: "no session bus: \(String(cString: strerror(-result)))")
        }
        bus = opened
        return opened
    }

    func close() {
        if let bus { sd_bus_flush_close_unref(bus) }
        bus = nil
    }
}
