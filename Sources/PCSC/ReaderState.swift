/// One entry of the array `SCardGetStatusChange` waits on (`SCARD_READERSTATE`), as a value.
///
/// Pass the state you last saw as ``currentState``/``currentEventCount``; pcscd returns when the
/// reader's state differs and fills ``eventState``, ``eventCount`` and ``atr``. Call
/// ``acknowledge()`` to make what you saw the new current state before waiting again.
public struct ReaderState: Sendable, Hashable {
    /// The pseudo-reader `\\?PnP?\Notification`: its state changes when a reader is added or removed.
    public static let plugAndPlayReaderName = #"\\?PnP?\Notification"#

    /// The reader's name as `SCardListReaders` gives it.
    public var reader: String
    /// The state the caller believes the reader is in (`dwCurrentState`, low 16 bits).
    public var currentState: ReaderStateFlags
    /// The card event counter the caller last saw (`dwCurrentState`, high 16 bits).
    public var currentEventCount: UInt16
    /// The state pcscd reported (`dwEventState`, low 16 bits).
    public var eventState: ReaderStateFlags
    /// pcscd's card event counter (`dwEventState`, high 16 bits): it grows with every insertion and
    /// removal, so a remove-and-reinsert between two waits is not missed.
    public var eventCount: UInt16
    /// The card's answer to reset, when a card is present (`rgbAtr[cbAtr]`).
    public var atr: [UInt8]

    /// A state that asks pcscd for the reader's current state (`SCARD_STATE_UNAWARE`).
    public init(reader: String, currentState: ReaderStateFlags = .unaware, currentEventCount: UInt16 = 0) {
        self.reader = reader
        self.currentState = currentState
        self.currentEventCount = currentEventCount
        self.eventState = []
        self.eventCount = 0
        self.atr = []
    }

    /// A state for the `\\?PnP?\Notification` pseudo-reader.
    public static func plugAndPlay() -> ReaderState { ReaderState(reader: plugAndPlayReaderName) }

    /// Whether this entry is the `\\?PnP?\Notification` pseudo-reader.
    public var isPlugAndPlay: Bool { reader == Self.plugAndPlayReaderName }

    /// Takes what pcscd reported as the state to wait from next (without `SCARD_STATE_CHANGED`).
    public mutating func acknowledge() {
        currentState = eventState.subtracting(.changed)
        currentEventCount = eventCount
    }
}
