import KysoAPI
import Foundation

/// Numbered events with a bounded replay buffer and bounded per-subscriber queues.
///
/// Not thread-safe on its own: `Inventory` keeps it under the same lock as the tokens, so a snapshot and the
/// event ids that follow it are always consistent.
struct EventLog {
    private(set) var lastID: UInt64 = 0
    private var ring: [DaemonEvent] = []
    private var ringStart = 0
    private let capacity: Int
    private var subscribers: [UInt64: AsyncStream<DaemonEvent>.Continuation] = [:]
    private var nextSubscriberID: UInt64 = 0
    private var internalSubscribers: Set<UInt64> = []
    let maxSubscribers: Int
    /// Events a subscriber may fall behind before it is dropped (it can resume with Last-Event-ID).
    let subscriberQueue: Int

    init(capacity: Int, maxSubscribers: Int, subscriberQueue: Int = 256) {
        self.capacity = max(1, capacity)
        self.maxSubscribers = maxSubscribers
        self.subscriberQueue = subscriberQueue
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

    /// The events after `id`, oldest first, or `nil` when some of them have already left the buffer.
    func events(after id: UInt64) -> [DaemonEvent]? {
        guard id <= lastID else { return nil }
        let ordered = Array(ring[ringStart...] + ring[..<ringStart])
        if id == lastID { return [] }
        guard let first = ordered.first, first.id <= id + 1 else { return nil }
        return ordered.filter { $0.id > id }
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
