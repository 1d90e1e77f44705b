import Foundation
import KysoAPI
import KysoStore
import Logging

/// What happens when an audit record cannot be written (the state directory full, say): the record goes to the
/// journal (kysod's stderr) in full, so it is never just "lost", and the operation it records is refused where
/// its answer has not left yet (`unavailable`).
enum AuditJournal {
    /// Holds no PIN, secret or signed data, as the record itself does not.
    static func log(_ entries: [AuditEntry], error: StoreError, logger: Logger) {
        let times = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for entry in entries {
            var metadata: Logger.Metadata = [
                "error": "\(error)", "time": "\(entry.time.formatted(times))", "action": "\(entry.action.rawValue)",
                "outcome": "\(entry.outcome.rawValue)",
            ]
            let optional: [(String, String?)] = [
                ("uid", entry.uid.map { "\($0)" }), ("pid", entry.pid.map { "\($0)" }), ("executable", entry.executable),
                ("tokenId", entry.tokenId), ("certificateSha256", entry.certificateSha256), ("mechanism", entry.mechanism),
                ("dataSha256", entry.dataSha256), ("detail", entry.detail),
            ]
            for case let (key, value?) in optional { metadata[key] = "\(value)" }
            logger.error("audit record not written to the database; the full record is here", metadata: metadata)
        }
    }

    static let unavailable = OperationFailure(
        .auditUnavailable, "kysod refuses what it cannot record; the record is in kysod's log. Is the state directory full?")
}
