/// One freedesktop notification as the Desktop Notifications Specification (1.2) describes it: what the person
/// reads, how urgent it is, and the category and icon servers use to show it.
public struct DesktopNotification: Sendable, Equatable {
    public enum Urgency: UInt8, Sendable {
        case low = 0, normal = 1, critical = 2
    }

    /// One line, plain text (servers never parse markup here).
    public var summary: String
    /// Plain text; escaped by `NotificationServer` when the server reads markup in bodies.
    public var body: String
    public var urgency: Urgency
    /// The specification's category (`device.added`, `device.removed`, `device.error`) or an `x-kyso.*` one.
    public var category: String
    /// An icon name from the freedesktop icon naming specification.
    public var icon: String

    public init(summary: String, body: String, urgency: Urgency = .normal, category: String, icon: String) {
        self.summary = summary
        self.body = body
        self.urgency = urgency
        self.category = category
        self.icon = icon
    }

    /// `body` for a server that reads it as the specification's markup: `&`, `<` and `>` escaped, so a holder named
    /// "Công ty A & B" or a label with `<b>` in it shows as written.
    public var escapedBody: String {
        var escaped = ""
        for character in body {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
