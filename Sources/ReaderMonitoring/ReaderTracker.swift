public import PCSC

/// One reader as the monitor last saw it.
public struct ReaderObservation: Sendable, Hashable {
    /// The reader's PC/SC name.
    public var reader: String
    /// Whether a card is in the reader.
    public var cardPresent: Bool
    /// The card's ATR (empty without a card, or for a mute card).
    public var atr: [UInt8]
    /// Mute / in use / exclusive.
    public var cardState: CardState
    /// pcscd's card event counter for the reader; it grows with every insertion and removal.
    public var eventCount: UInt16

    public init(reader: String, cardPresent: Bool, atr: [UInt8] = [], cardState: CardState = [], eventCount: UInt16 = 0) {
        self.reader = reader
        self.cardPresent = cardPresent
        self.atr = cardPresent ? atr : []
        self.cardState = cardPresent ? cardState : []
        self.eventCount = eventCount
    }

    /// What `SCardGetStatusChange` reported for a reader.
    public init(_ state: ReaderState) {
        self.init(reader: state.reader, cardPresent: state.eventState.contains(.present), atr: state.atr,
                  cardState: CardState(state.eventState), eventCount: state.eventCount)
    }

    /// The reader as a one-shot snapshot value (for reports such as `kyso doctor`).
    public var snapshot: ReaderSnapshot {
        var flags: ReaderStateFlags = cardPresent ? .present : .empty
        if cardState.contains(.mute) { flags.insert(.mute) }
        if cardState.contains(.inUse) { flags.insert(.inUse) }
        if cardState.contains(.exclusive) { flags.insert(.exclusive) }
        return ReaderSnapshot(name: reader, cardPresent: cardPresent, atr: atr, flags: flags)
    }
}

/// The reader monitor's memory, as a plain value: the previous snapshot in, the next snapshot in,
/// the differences out as events. No I/O, so every case is tested without pcscd.
public struct ReaderTracker: Sendable, Hashable {
    /// The readers as last seen, in pcscd's order.
    public private(set) var readers: [ReaderObservation] = []

    public init() {}

    /// Takes `observed` as the new snapshot and returns what changed since the previous one.
    ///
    /// `sameService` says both snapshots come from one pcscd run: only then are the card event
    /// counters comparable, and a counter that moved while a card stayed present means the card
    /// was pulled and reinserted between two looks. After pcscd restarts, a card that is still
    /// there with the same ATR gives no event.
    ///
    /// Order: cards and readers that went away first, then, in pcscd's reader order, new readers
    /// (and their cards) and card changes.
    public mutating func update(to observed: [ReaderObservation], sameService: Bool) -> [ReaderEvent] {
        var events: [ReaderEvent] = []
        let previous = Dictionary(readers.map { ($0.reader, $0) }, uniquingKeysWith: { first, _ in first })
        let current = Set(observed.map(\.reader))

        for old in readers where !current.contains(old.reader) {
            if old.cardPresent { events.append(.cardRemoved(reader: old.reader)) }
            events.append(.readerRemoved(reader: old.reader))
        }
        for new in observed {
            guard let old = previous[new.reader] else {
                events.append(.readerAdded(reader: new.reader))
                events += Self.arrival(of: new)
                continue
            }
            switch (old.cardPresent, new.cardPresent) {
            case (true, false):
                events.append(.cardRemoved(reader: new.reader))
            case (false, true):
                events += Self.arrival(of: new)
            case (true, true):
                let swapped = old.atr != new.atr || (sameService && old.eventCount != new.eventCount)
                if swapped {
                    events.append(.cardRemoved(reader: new.reader))
                    events += Self.arrival(of: new)
                } else if old.cardState != new.cardState {
                    events.append(.cardStateChanged(reader: new.reader, state: new.cardState))
                }
            case (false, false):
                break
            }
        }
        var seen = Set<String>()
        readers = observed.filter { seen.insert($0.reader).inserted }
        return events
    }

    private static func arrival(of reader: ReaderObservation) -> [ReaderEvent] {
        guard reader.cardPresent else { return [] }
        var events: [ReaderEvent] = [.cardInserted(reader: reader.reader, atr: reader.atr)]
        if !reader.cardState.isEmpty { events.append(.cardStateChanged(reader: reader.reader, state: reader.cardState)) }
        return events
    }
}
