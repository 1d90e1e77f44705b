import CPCSCLite

/// The `SCARD_STATE_*` bits of a reader state (`dwCurrentState` / `dwEventState`, low 16 bits).
///
/// pcsc-lite keeps a card event counter in the high 16 bits; ``ReaderState`` carries it apart
/// as ``ReaderState/eventCount``, so these flags hold only the state bits.
public struct ReaderStateFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue & 0xFFFF }

    /// `SCARD_STATE_UNAWARE` (no bits): "tell me the current state".
    public static let unaware: ReaderStateFlags = []
    /// `SCARD_STATE_IGNORE`: skip this reader.
    public static let ignore = Self(SCARD_STATE_IGNORE)
    /// `SCARD_STATE_CHANGED`: the state differs from the one passed in.
    public static let changed = Self(SCARD_STATE_CHANGED)
    /// `SCARD_STATE_UNKNOWN`: pcscd does not know the reader (it was removed).
    public static let unknown = Self(SCARD_STATE_UNKNOWN)
    /// `SCARD_STATE_UNAVAILABLE`: the reader's state cannot be read.
    public static let unavailable = Self(SCARD_STATE_UNAVAILABLE)
    /// `SCARD_STATE_EMPTY`: no card in the reader.
    public static let empty = Self(SCARD_STATE_EMPTY)
    /// `SCARD_STATE_PRESENT`: a card is in the reader.
    public static let present = Self(SCARD_STATE_PRESENT)
    /// `SCARD_STATE_ATRMATCH`: the card's ATR matches a requested one.
    public static let atrMatch = Self(SCARD_STATE_ATRMATCH)
    /// `SCARD_STATE_EXCLUSIVE`: another program holds the card exclusively.
    public static let exclusive = Self(SCARD_STATE_EXCLUSIVE)
    /// `SCARD_STATE_INUSE`: some program is connected to the card (shared).
    public static let inUse = Self(SCARD_STATE_INUSE)
    /// `SCARD_STATE_MUTE`: the card does not answer (no or bad ATR).
    public static let mute = Self(SCARD_STATE_MUTE)
    /// `SCARD_STATE_UNPOWERED`: the card is present but not powered.
    public static let unpowered = Self(SCARD_STATE_UNPOWERED)

    private init(_ bit: Int32) { self.init(rawValue: UInt32(bit)) }

    /// Lower-case words for the set bits, in header order (`present`, `inUse`, …).
    public var words: [String] {
        Self.allNamed.compactMap { contains($0.flag) ? $0.word : nil }
    }

    public var description: String { words.isEmpty ? "unaware" : words.joined(separator: ",") }

    static let allNamed: [(flag: ReaderStateFlags, word: String)] = [
        (.ignore, "ignore"), (.changed, "changed"), (.unknown, "unknown"), (.unavailable, "unavailable"),
        (.empty, "empty"), (.present, "present"), (.atrMatch, "atrMatch"), (.exclusive, "exclusive"),
        (.inUse, "inUse"), (.mute, "mute"), (.unpowered, "unpowered"),
    ]
}
