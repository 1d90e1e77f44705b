public import Foundation

/// Dates and numbers the way each language writes them. Vietnamese declarants read dd/MM/yyyy in their own time
/// zone (the customs system and CA hand-over letters write dates so); English output keeps the ISO 8601 forms
/// Kyso always printed, so scripts that read it are not broken. Built from the calendar directly, not from
/// the C library's locale data, which a server without a generated vi_VN locale does not have.
extension Messages {
    /// A day: `05/12/2026` (vi, local time) or `2026-12-05` (en, UTC as before).
    public func date(_ date: Date, timeZone: TimeZone = .current) -> String {
        switch language {
        case .vi:
            let parts = Self.gregorian(timeZone).dateComponents([.day, .month, .year], from: date)
            return "\(Self.two(parts.day))/\(Self.two(parts.month))/\(Self.four(parts.year))"
        case .en:
            return date.formatted(.iso8601.year().month().day())
        }
    }

    /// A moment: `14:05:09 05/12/2026` (vi, local time) or `2026-12-05T07:05:09Z` (en, RFC 3339 UTC as before).
    public func dateTime(_ date: Date, timeZone: TimeZone = .current) -> String {
        switch language {
        case .vi:
            let parts = Self.gregorian(timeZone).dateComponents([.hour, .minute, .second], from: date)
            return "\(Self.two(parts.hour)):\(Self.two(parts.minute)):\(Self.two(parts.second)) "
                + self.date(date, timeZone: timeZone)
        case .en:
            return date.formatted(.iso8601)
        }
    }

    /// A count: `12.345` (vi, dot between thousands) or `12345` (en, plain as before).
    public func number(_ value: Int) -> String {
        guard language == .vi else { return String(value) }
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(".") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    private static func gregorian(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private static func two(_ value: Int?) -> String {
        let value = value ?? 0
        return value < 10 ? "0\(value)" : String(value)
    }

    private static func four(_ value: Int?) -> String {
        let text = String(value ?? 0)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
