import Foundation
public import KysoStore
import Synchronization

/// Refusals are recorded one by one up to `perMinute` per uid a minute; beyond that they are only counted, and
/// the count goes into one summary record (`refusals.counted`), so a caller who keeps being refused cannot fill
/// the log (and the disk) with its refusals. Admin actions and successes always pass.
public final class RefusalLimiter: Sendable {
    static let window: Duration = .seconds(60)
    /// Tallies kept at most; ended windows with nothing left to report go first.
    static let maximumTallies = 4096

    private struct Tally {
        var started: ContinuousClock.Instant
        var recorded = 0
        var counted = 0
        var firstCounted: Date?
        var lastCounted: Date?
    }

    let perMinute: Int
    private let tallies = Mutex<[UInt32: Tally]>([:])

    public init(perMinute: Int) { self.perMinute = max(1, perMinute) }

    /// The records to write for `entry`: itself unless its uid is over the threshold this minute, after the
    /// summary of that uid's previous minute when one is due.
    public func admit(_ entry: AuditEntry, now: ContinuousClock.Instant = .now) -> [AuditEntry] {
        guard AuditCategory(entry) == .refusal, let uid = entry.uid else { return [entry] }
        return tallies.withLock { tallies in
            var records: [AuditEntry] = []
            var tally = tallies[uid] ?? Tally(started: now)
            if now - tally.started >= Self.window {
                if let summary = summary(&tally, uid: uid) { records.append(summary) }
                tally = Tally(started: now)
            }
            if tally.recorded < perMinute {
                tally.recorded += 1
                records.append(entry)
            } else {
                tally.counted += 1
                tally.firstCounted = tally.firstCounted ?? entry.time
                tally.lastCounted = entry.time
            }
            if tallies[uid] == nil && tallies.count >= Self.maximumTallies {
                tallies = tallies.filter { now - $0.value.started < Self.window || $0.value.counted > 0 }
            }
            tallies[uid] = tally
            return records
        }
    }

    /// Summaries of every count not yet written (before the log is read, and when kysod stops); windows go on.
    public func summaries(now: ContinuousClock.Instant = .now) -> [AuditEntry] {
        tallies.withLock { tallies in
            var records: [AuditEntry] = []
            for uid in tallies.keys.sorted() {
                if let summary = summary(&tallies[uid]!, uid: uid) { records.append(summary) }
            }
            tallies = tallies.filter { now - $0.value.started < Self.window }
            return records
        }
    }

    private func summary(_ tally: inout Tally, uid: UInt32) -> AuditEntry? {
        guard tally.counted > 0, let first = tally.firstCounted, let last = tally.lastCounted else { return nil }
        defer {
            tally.counted = 0
            tally.firstCounted = nil
            tally.lastCounted = nil
        }
        let times = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return AuditEntry(
            time: last, uid: uid, action: .refusalsCounted, outcome: .refused,
            detail: "\(tally.counted) more refusals of uid \(uid) from \(first.formatted(times)) to \(last.formatted(times)), "
                + "over \(perMinute) a minute: counted, not recorded one by one")
    }
}
