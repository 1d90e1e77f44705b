import Foundation

/// The allowed range of every number in kysod's configuration, checked before any is used: a value outside it is
/// refused with the key's name and its range (a huge timeout would trap converting to a Duration; a negative
/// connection limit would refuse every client).
enum ConfigurationRanges {
    static let pollIntervalSeconds = 0.05...3600.0
    static let loginCacheSeconds = 0.0...3600.0
    static let signDeadlineSeconds = 0.1...600.0
    static let maxBodyBytes = 1024...(64 * 1024 * 1024)
    static let maxConnections = 1...65_536
    static let maxConnectionsPerUid = 1...65_536
    static let maxEventSubscribers = 1...65_536
    static let headerTimeoutSeconds = 0.1...3600.0
    static let idleTimeoutSeconds = 0.1...86_400.0
    static let eventBufferSize = 1...1_000_000
    /// audit.maxAgeDays, maxOperationRecords, maxRefusalRecords, maxAdminRecords, refusalsRecordedPerMinute.
    static let auditCount = 1...100_000_000

    /// The whole-number keys, by their path in the file: checked on the parsed JSON (UnknownKeys) before decoding, so
    /// a number too large for an integer is named like any other value out of range.
    static let wholeNumbers: [String: ClosedRange<Int>] = [
        "limits.maxBodyBytes": maxBodyBytes, "limits.maxConnections": maxConnections,
        "limits.maxConnectionsPerUid": maxConnectionsPerUid,
        "limits.maxEventSubscribers": maxEventSubscribers, "limits.eventBufferSize": eventBufferSize,
        "audit.maxAgeDays": auditCount, "audit.maxOperationRecords": auditCount, "audit.maxRefusalRecords": auditCount,
        "audit.maxAdminRecords": auditCount, "audit.refusalsRecordedPerMinute": auditCount,
    ]

    /// Refuses a whole-number key whose JSON value is not a whole number within its range.
    static func checkWholeNumber(_ value: Any, key: String) throws {
        guard let range = wholeNumbers[key], let number = value as? NSNumber, !(value is Bool) else { return }
        let double = number.doubleValue
        guard double == double.rounded(), double >= Double(range.lowerBound), double <= Double(range.upperBound) else {
            throw ConfigurationError(path: "", reason: "\(key) must be a whole number between \(range.lowerBound) and \(range.upperBound), not \(number)")
        }
    }

    /// `value` (or `fallback` when absent) as a Duration, once it is within `range`.
    static func seconds(_ value: Double?, key: String, default fallback: Double, range: ClosedRange<Double>) throws -> Duration {
        let seconds = value ?? fallback
        // NaN fails both comparisons, so it is refused too.
        guard seconds >= range.lowerBound, seconds <= range.upperBound else {
            throw ConfigurationError(path: "", reason: "\(key) must be between \(text(range.lowerBound)) and \(text(range.upperBound)) seconds, not \(seconds)")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// `value` (or `fallback` when absent), once it is within `range`.
    static func count(_ value: Int?, key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        let count = value ?? fallback
        guard range.contains(count) else {
            throw ConfigurationError(path: "", reason: "\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(count)")
        }
        return count
    }

    private static func text(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// A decoding failure named by its key (`limits.maxConnections`), e.g. a number too large for an integer.
    static func describe(_ error: DecodingError) -> String {
        func key(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "is not valid: \(key(context.codingPath)) must be \(type == Int.self ? "a whole number" : "a \(type)"): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "is not valid: \(key(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let missing, let context):
            return "is not valid: \(key(context.codingPath + [missing])) is missing"
        @unknown default:
            return "is not valid: \(error)"
        }
    }
}
