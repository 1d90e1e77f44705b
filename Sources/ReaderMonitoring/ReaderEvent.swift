public import PCSC

/// Something that happened to a reader or card, as the ``ReaderMonitor`` saw it.
public enum ReaderEvent: Sendable, Hashable, CustomStringConvertible {
    /// A reader appeared (plugged in, or found when pcscd came back).
    case readerAdded(reader: String)
    /// A reader disappeared. A card in it is reported removed first.
    case readerRemoved(reader: String)
    /// A card was inserted; `atr` is its answer to reset (empty for a mute card).
    case cardInserted(reader: String, atr: [UInt8])
    /// The card was pulled out.
    case cardRemoved(reader: String)
    /// Whether the card is mute, in use or held exclusively by some program changed.
    case cardStateChanged(reader: String, state: CardState)
    /// pcscd cannot be reached (not running, stopped, or polkit refused us); readers are not
    /// watched until ``serviceRestored``. The error's hint says what to do.
    case serviceLost(PCSCError)
    /// pcscd answers again; the events that follow are the differences from before the loss.
    case serviceRestored

    /// The reader the event is about, if any.
    public var reader: String? {
        switch self {
        case .readerAdded(let reader), .readerRemoved(let reader), .cardInserted(let reader, _),
             .cardRemoved(let reader), .cardStateChanged(let reader, _):
            reader
        case .serviceLost, .serviceRestored:
            nil
        }
    }

    /// A short name for the kind of event (`readerAdded`, `cardInserted`, …), as used in JSON.
    public var kind: String {
        switch self {
        case .readerAdded: "readerAdded"
        case .readerRemoved: "readerRemoved"
        case .cardInserted: "cardInserted"
        case .cardRemoved: "cardRemoved"
        case .cardStateChanged: "cardStateChanged"
        case .serviceLost: "serviceLost"
        case .serviceRestored: "serviceRestored"
        }
    }

    public var description: String {
        switch self {
        case .readerAdded(let reader): "reader added: \(reader)"
        case .readerRemoved(let reader): "reader removed: \(reader)"
        case .cardInserted(let reader, let atr):
            atr.isEmpty ? "card inserted: \(reader) (mute, no ATR)" : "card inserted: \(reader) ATR \(atr.hexString)"
        case .cardRemoved(let reader): "card removed: \(reader)"
        case .cardStateChanged(let reader, let state): "card state: \(reader) \(state)"
        case .serviceLost(let error): "pcscd lost: \(error)"
        case .serviceRestored: "pcscd reachable again"
        }
    }
}

/// The card conditions worth telling users about: a mute card, a card some program is using, a card
/// some program holds exclusively (other programs, Kyso included, cannot use it then).
public struct CardState: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The card does not answer (`SCARD_STATE_MUTE`).
    public static let mute = CardState(rawValue: 1 << 0)
    /// Some program is connected to the card (`SCARD_STATE_INUSE`).
    public static let inUse = CardState(rawValue: 1 << 1)
    /// Some program holds the card exclusively (`SCARD_STATE_EXCLUSIVE`).
    public static let exclusive = CardState(rawValue: 1 << 2)

    /// The card conditions among pcscd's reader state flags.
    public init(_ flags: ReaderStateFlags) {
        self = []
        if flags.contains(.mute) { insert(.mute) }
        if flags.contains(.inUse) { insert(.inUse) }
        if flags.contains(.exclusive) { insert(.exclusive) }
    }

    /// `mute`, `inUse`, `exclusive` for the set conditions.
    public var words: [String] {
        [(CardState.mute, "mute"), (.inUse, "inUse"), (.exclusive, "exclusive")].compactMap { contains($0.0) ? $0.1 : nil }
    }

    public var description: String { words.isEmpty ? "idle" : words.joined(separator: ",") }
}
