import ReaderMonitoring
import Testing

@Suite("Reader tracker: snapshots in, differences out (no pcscd)")
struct ReaderTrackerTests {
    let atrA: [UInt8] = [0x3B, 0x8B, 0x80, 0x01]
    let atrB: [UInt8] = [0x3B, 0x02, 0x14, 0x50]

    @Test("the first snapshot announces every reader and card")
    func firstSnapshot() {
        var tracker = ReaderTracker()
        let events = tracker.update(to: [
            ReaderObservation(reader: "R0", cardPresent: false),
            ReaderObservation(reader: "R1", cardPresent: true, atr: atrA, cardState: [.inUse], eventCount: 1),
        ], sameService: false)
        #expect(events == [
            .readerAdded(reader: "R0"),
            .readerAdded(reader: "R1"), .cardInserted(reader: "R1", atr: atrA), .cardStateChanged(reader: "R1", state: .inUse),
        ])
        #expect(tracker.readers.map(\.reader) == ["R0", "R1"])
    }

    @Test("an unchanged snapshot gives no events")
    func unchanged() {
        var tracker = ReaderTracker()
        let snapshot = [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 3)]
        _ = tracker.update(to: snapshot, sameService: false)
        #expect(tracker.update(to: snapshot, sameService: true).isEmpty)
    }

    @Test("insertion and removal")
    func insertAndRemove() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: false)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1)], sameService: true)
            == [.cardInserted(reader: "R0", atr: atrA)])
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: false, eventCount: 2)], sameService: true)
            == [.cardRemoved(reader: "R0")])
    }

    @Test("a reader that goes away with its card reports the card first")
    func readerRemovedWithCard() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA),
                                ReaderObservation(reader: "R1", cardPresent: false)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R1", cardPresent: false)], sameService: true)
            == [.cardRemoved(reader: "R0"), .readerRemoved(reader: "R0")])
    }

    @Test("a card swapped between two looks: removal then insertion")
    func swapByATR() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrB, eventCount: 3)], sameService: true)
            == [.cardRemoved(reader: "R0"), .cardInserted(reader: "R0", atr: atrB)])
    }

    @Test("the same card pulled and reinserted between looks is caught by pcscd's event counter")
    func swapByCounter() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 3)], sameService: true)
            == [.cardRemoved(reader: "R0"), .cardInserted(reader: "R0", atr: atrA)])
    }

    @Test("after a pcscd restart counters start over: a card still there gives no event")
    func countersAcrossRestart() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 9),
                                ReaderObservation(reader: "R1", cardPresent: false)], sameService: true)
        let afterRestart = [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1),
                            ReaderObservation(reader: "R1", cardPresent: false),
                            ReaderObservation(reader: "R2", cardPresent: false)]
        #expect(tracker.update(to: afterRestart, sameService: false) == [.readerAdded(reader: "R2")])
    }

    @Test("in use, exclusive and mute changes are card state events")
    func cardStateChanges() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, cardState: [.inUse, .exclusive], eventCount: 1)],
                               sameService: true)
            == [.cardStateChanged(reader: "R0", state: [.inUse, .exclusive])])
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, atr: atrA, eventCount: 1)], sameService: true)
            == [.cardStateChanged(reader: "R0", state: [])])
    }

    @Test("a mute card is inserted without ATR and reported mute")
    func muteCard() {
        var tracker = ReaderTracker()
        _ = tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: false)], sameService: false)
        #expect(tracker.update(to: [ReaderObservation(reader: "R0", cardPresent: true, cardState: .mute, eventCount: 1)], sameService: true)
            == [.cardInserted(reader: "R0", atr: []), .cardStateChanged(reader: "R0", state: .mute)])
    }

    @Test("an absent card has no ATR or state, whatever the observation said")
    func absentCardIsClean() {
        let observation = ReaderObservation(reader: "R0", cardPresent: false, atr: atrA, cardState: .inUse)
        #expect(observation.atr.isEmpty)
        #expect(observation.cardState.isEmpty)
        #expect(observation.snapshot.stateWords == ["empty"])
    }

    @Test("reconnect backoff doubles up to its maximum and starts over after reset")
    func backoff() {
        var backoff = ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(500), refusedDelay: .seconds(10))
        let delays = (0..<6).map { _ in backoff.nextDelay() }
        #expect(delays == [.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
        #expect(backoff.nextDelay(refused: true) == .seconds(10))
        backoff.reset()
        #expect(backoff.nextDelay() == .milliseconds(50))
    }

    @Test("events describe themselves in one line")
    func eventText() {
        #expect(ReaderEvent.cardInserted(reader: "R0", atr: [0x3B, 0x8B]).description == "card inserted: R0 ATR 3b8b")
        #expect(ReaderEvent.cardStateChanged(reader: "R0", state: [.inUse]).description == "card state: R0 inUse")
        #expect(ReaderEvent.readerRemoved(reader: "R0").kind == "readerRemoved")
    }
}
