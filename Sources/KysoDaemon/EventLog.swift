import KysoAPI
import Foundation

/// Numbered events with a bounded replay buffer and bounded per-subscriber queues.
///
/// Ids are unique across restarts: each run numbers from its start time in milliseconds times 1000, so a client
/// resuming with an id from an earlier run (a `kyso watch` across a restart) is never mistaken for one that saw
/// this run's first events (issue 13, bug 2). The ids stay below 2^53 (a JavaScript number) until the year 2255.
///
/// Not thread-safe on its own: `Inventory` keeps it under the same lock as the tokens, so a snapshot and the
/// event ids that follow it are always consistent.
struct EventLog {
    /// The id before this run's first event.
    let runStart: UInt64
    private(set) var lastID: UInt64
    private var ring: [DaemonEvent] = []
    private var ringStart = 0
    private let capacity: Int
    private var subscribers: [UInt64: AsyncStream<DaemonEvent>.Continuation] = [:]
    private var nextSubscriberID: UInt64 = 0
    private var internalSubscribers: Set<UInt64> = []
    let maxSubscribers: Int
    /// Events a subscriber may fall behind before it is dropped (it can resume with Last-Event-ID).
    let subscriberQueue: Int

    init(capacity: Int, maxSubscribers: Int, subscriberQueue: Int = 256, runStart: UInt64 = EventLog.runStart(at: Date())) {
        self.runStart = runStart
        lastID = runStart
        self.capacity = max(1, capacity)
        self.maxSubscribers = maxSubscribers
        self.subscriberQueue = subscriberQueue
    }

    /// The numbering base of a run started at `time`.
    static func runStart(at time: Date) -> UInt64 {
        UInt64(max(0, time.timeIntervalSince1970 * 1000)) * 1000
    }

    /// Clients following the stream (the daemon's own subscriptions not counted).
    var subscriberCount: Int { subscribers.count - internalSubscribers.count }

    /// Numbers the event, keeps it for replay and hands it to every subscriber that keeps up.
    mutating func publish(_ type: EventType, _ data: EventData, at time: Date = Date()) -> DaemonEvent {
        lastID += 1
        let event = DaemonEvent(id: lastID, type: type, time: time, data: data)
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[ringStart] = event
            ringStart = (ringStart + 1) % capacity
        }
        for (id, continuation) in subscribers {
            if case .dropped = continuation.yield(event) {
                // A reader that cannot keep up is cut off rather than allowed to hold memory or stall others.
                continuation.finish()
                subscribers[id] = nil
            }
        }
        return event
    }

    /// The events after `id`, oldest first, or `nil` when some of them have already left the buffer. An id from an
    /// earlier run (below this run's numbers) gets every event of this run while the buffer still holds them all.
    func events(after id: UInt64) -> [DaemonEvent]? {
        guard id <= lastID else { return nil }
        let ordered = Array(ring[ringStart...] + ring[..<ringStart])
        if id == lastID { return [] }
        let from = max(id, runStart)
        guard let first = ordered.first, first.id <= from + 1 else { return nil }
        return ordered.filter { $0.id > from }
    }

    enum SubscribeError: Error { case tooManySubscribers }

    /// Registers a subscriber whose stream starts with `initial` and continues with every later event.
    /// `internal` subscribers (the daemon's own services) do not count against the client limit.
    mutating func subscribe(initial: [DaemonEvent], isInternal: Bool = false) throws(SubscribeError) -> (UInt64, AsyncStream<DaemonEvent>) {
        guard isInternal || subscribers.count - internalSubscribers.count < maxSubscribers else { throw .tooManySubscribers }
        let (stream, continuation) = AsyncStream.makeStream(
            of: DaemonEvent.self, bufferingPolicy: .bufferingOldest(subscriberQueue + initial.count))
        for event in initial { continuation.yield(event) }
        nextSubscriberID += 1
        subscribers[nextSubscriberID] = continuation
        if isInternal { internalSubscribers.insert(nextSubscriberID) }
        return (nextSubscriberID, stream)
    }

    mutating func unsubscribe(_ id: UInt64) {
        subscribers.removeValue(forKey: id)?.finish()
        internalSubscribers.remove(id)
    }

    mutating func finishAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }
}
