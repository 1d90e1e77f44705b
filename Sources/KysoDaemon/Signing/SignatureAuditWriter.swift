public import KysoStore
public import Logging
import Synchronization

/// Writes signature audit records behind the answer, in batches: a signature's answer does not wait for its
/// record's fsync (0.3–3 ms here, more than most signatures), and records that arrive while a batch is being
/// written go together in the next transaction (one fsync each). Every record is still written with the
/// database's full durability, in order, a few milliseconds after its answer at most: the API queues the
/// record while answering and starts the writer (`writeBehind`, a thread wake-up) once the answer is sent.
///
/// Before anyone reads the audit log (`GET /v1/audit`) and when kysod stops, `flush()` waits until every record
/// queued so far is in the database. A caller waits at once when `backlogLimit` records are already queued, so
/// a disk that cannot keep up slows signing down instead of piling records up in memory. What a crash of kysod
/// itself (not a stop) can lose is the batch being written at that moment.
///
/// When a batch cannot be written (a full disk), its records go to the journal in full and the writer turns
/// careful, as it does when any other audit write fails (`noteWrite`): from then on each signature's record is
/// written before its answer leaves, and a signature whose record cannot be written is not returned (`record`
/// says false) until writing works again. So at most the signatures answered while the failing batch was queued
/// (a few milliseconds' worth) are audited in the journal only, and none goes unrecorded.
public final class SignatureAuditWriter: Sendable {
    static let backlogLimit = 1024

    private struct State {
        var pending: [AuditEntry] = []
        var writing = false
        /// Records queued, and records written (or given up on), since the start.
        var queued: UInt64 = 0
        var written: UInt64 = 0
        var waiters: [(until: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        /// The last write failed: records are written before answers until one succeeds.
        var failing = false
    }

    private let database: KysoDatabase
    private let refusals: RefusalLimiter
    private let logger: Logger
    private let state = Mutex(State())

    public init(database: KysoDatabase, refusals: RefusalLimiter, logger: Logger) {
        self.database = database
        self.refusals = refusals
        self.logger = logger
    }

    /// Queues a record for `writeBehind` (unless it is a refusal only counted, see `RefusalLimiter`); returns at
    /// once unless the backlog is full. After a failed write it writes the record at once instead, and returns
    /// false when that fails too: the answer it records must not go out.
    public func record(_ entry: AuditEntry) async -> Bool {
        let admitted = refusals.admit(entry)
        guard state.withLock({ $0.failing }), !admitted.isEmpty else {
            await enqueue(admitted)
            return true
        }
        do throws(StoreError) {
            try await database.appendAudit(admitted)
            noteWrite(succeeded: true)
            return true
        } catch {
            AuditJournal.log(admitted, error: error, logger: logger)
            return false
        }
    }

    private func enqueue(_ entries: [AuditEntry]) async {
        guard !entries.isEmpty else { return }
        let backlog = state.withLock { state in
            state.pending += entries
            state.queued += UInt64(entries.count)
            return state.pending.count >= Self.backlogLimit
        }
        if backlog { await flush() }
    }

    /// Another audit write (an account operation's) succeeded or failed: the database's state, shared with
    /// signatures, so a reveal refused on a full disk makes the next signature wait for its record too.
    public func noteWrite(succeeded: Bool) {
        let recovered = state.withLock { state in
            defer { state.failing = !succeeded }
            return state.failing && succeeded
        }
        if recovered { logger.notice("audit records are written again") }
    }

    /// Starts writing what is queued, unless a write is already under way (it takes the new records next).
    public func writeBehind() {
        let start = state.withLock { state in
            guard !state.writing, !state.pending.isEmpty else { return false }
            state.writing = true
            return true
        }
        // Detached: a client hanging up (its task cancelled) must not cancel the write.
        if start { Task.detached { await self.writeQueued() } }
    }

    /// Returns once every record queued before this call is in the database, with the counts of refusals not
    /// recorded one by one so far.
    public func flush() async {
        let summaries = refusals.summaries()
        if !summaries.isEmpty {
            state.withLock { state in
                state.pending += summaries
                state.queued += UInt64(summaries.count)
            }
        }
        writeBehind()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                guard state.written < state.queued else { return true }
                state.waiters.append((state.queued, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func writeQueued() async {
        while true {
            let batch = state.withLock { state -> [AuditEntry] in
                defer { state.pending.removeAll(keepingCapacity: true) }
                if state.pending.isEmpty { state.writing = false }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            do throws(StoreError) {
                try await database.appendAudit(batch)
            } catch {
                // Their answers are out: the journal keeps them, and signatures wait for their records from now on.
                state.withLock { $0.failing = true }
                AuditJournal.log(batch, error: error, logger: logger)
            }
            let ready = state.withLock { state in
                state.written += UInt64(batch.count)
                let written = state.written
                let ready = state.waiters.filter { $0.until <= written }.map(\.continuation)
                state.waiters.removeAll { $0.until <= written }
                return ready
            }
            for continuation in ready { continuation.resume() }
        }
    }
}
