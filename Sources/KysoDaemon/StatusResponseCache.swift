import KysoAPI
import Synchronization

/// The encoded `GET /v1/status` answer, reused while nothing but the uptime changed: the JSON is encoded once
/// with the uptime at zero and kept as the bytes before and after that number, and each answer splices the
/// current uptime in. Any other change (a module, a reader, the token count) makes the next answer encode afresh.
final class StatusResponseCache: Sendable {
    private struct Entry {
        let key: StatusResponse
        let prefix: [UInt8]
        let suffix: [UInt8]
    }
    private let entry = Mutex<Entry?>(nil)

    /// The encoded answer for `status`, or nil when it cannot be encoded.
    func bytes(for status: StatusResponse) -> [UInt8]? {
        var key = status
        key.uptimeSeconds = 0
        let cached = entry.withLock { entry in entry?.key == key ? entry : nil }
        guard let parts = cached ?? encode(key) else { return nil }
        // Swift's shortest round-trip form of a finite Double is a valid JSON number, as JSONEncoder writes it.
        return parts.prefix + Array("\(status.uptimeSeconds)".utf8) + parts.suffix
    }

    private func encode(_ key: StatusResponse) -> Entry? {
        guard let json = try? Array(APIJSON.encoder().encode(key)) else { return nil }
        // Keys are sorted and uptimeSeconds is a top-level number; a string value could not hold this unescaped.
        let marker = Array(#""uptimeSeconds":"#.utf8)
        guard let start = Self.lastRange(of: marker, in: json) else { return nil }
        var end = start + marker.count
        while end < json.count, json[end] != UInt8(ascii: ","), json[end] != UInt8(ascii: "}") { end += 1 }
        let made = Entry(key: key, prefix: Array(json[..<(start + marker.count)]), suffix: Array(json[end...]))
        entry.withLock { $0 = made }
        return made
    }

    private static func lastRange(of marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        for start in stride(from: bytes.count - marker.count, through: 0, by: -1) where bytes[start..<(start + marker.count)].elementsEqual(marker) {
            return start
        }
        return nil
    }
}
