import Foundation
import KysoAPI
import KysoStore
import Logging
import Synchronization

/// Makes the audit retention's pruning visible: totals for `GET /v1/status`, and a log line when records go
/// (the first at once, then at most one a minute per category with the count since the last line).
final class AuditPruningLog: Sendable {
    static let interval: Duration = .seconds(60)

    private struct State {
        var totals: [AuditCategory: AuditPruning] = [:]
        var unlogged: [AuditCategory: Int] = [:]
        var lastLogged: [AuditCategory: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())
    private let logger: Logger

    init(database: KysoDatabase, logger: Logger) async throws {
        self.logger = logger
        let stored = try await database.auditPruning()
        state.withLock { state in for pruning in stored { state.totals[pruning.category] = pruning } }
        database.onAuditPruned { [weak self] pruning in self?.note(pruning) }
    }

    var status: AuditStatus {
        state.withLock { state in
            AuditStatus(pruned: AuditCategory.allCases.compactMap { state.totals[$0] }.map {
                AuditPruningStatus(category: $0.category.rawValue, records: $0.records, lastPrunedAt: $0.lastPrunedAt)
            })
        }
    }

    private func note(_ pruning: AuditPruning) {
        let now = ContinuousClock.now
        let line = state.withLock { state -> (records: Int, total: Int)? in
            var total = state.totals[pruning.category] ?? AuditPruning(category: pruning.category, records: 0, lastPrunedAt: pruning.lastPrunedAt)
            total.records += pruning.records
            total.lastPrunedAt = pruning.lastPrunedAt
            state.totals[pruning.category] = total
            state.unlogged[pruning.category, default: 0] += pruning.records
            if let last = state.lastLogged[pruning.category], now - last < Self.interval { return nil }
            state.lastLogged[pruning.category] = now
            defer { state.unlogged[pruning.category] = 0 }
            return (state.unlogged[pruning.category] ?? 0, total.records)
        }
        guard let line else { return }
        logger.notice("audit records pruned by retention", metadata: [
            "category": "\(pruning.category.rawValue)", "records": "\(line.records)", "total": "\(line.total)"])
    }
}
