/// One reader as pcscd sees it right now.
public struct ReaderSnapshot: Sendable, Hashable, Codable {
    /// The reader's PC/SC name.
    public var name: String
    /// Whether a card is in the reader.
    public var cardPresent: Bool
    /// The card's ATR, empty when no card is present.
    public var atr: [UInt8]
    /// The reader's state flags.
    public var flags: ReaderStateFlags

    public init(name: String, cardPresent: Bool, atr: [UInt8], flags: ReaderStateFlags) {
        self.name = name
        self.cardPresent = cardPresent
        self.atr = atr
        self.flags = flags
    }

    /// The ATR as lower-case hex without separators (`3bf81300…`), empty without a card.
    public var atrHex: String { atr.hexString }

    /// The state in words (`present`, `inUse`, `mute`, …).
    public var stateWords: [String] { flags.words.filter { $0 != "changed" } }

    private enum CodingKeys: String, CodingKey { case name, cardPresent, atr, state }

    /// JSON: `{"name", "cardPresent", "atr": "<lower-case hex>", "state": ["present", …]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(cardPresent, forKey: .cardPresent)
        try container.encode(atrHex, forKey: .atr)
        try container.encode(stateWords, forKey: .state)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cardPresent = try container.decode(Bool.self, forKey: .cardPresent)
        let hex = try container.decode(String.self, forKey: .atr)
        guard let bytes = [UInt8](hex: hex) else {
            throw DecodingError.dataCorruptedError(forKey: .atr, in: container, debugDescription: "ATR is not hex")
        }
        atr = bytes
        let words = try container.decode([String].self, forKey: .state)
        flags = ReaderStateFlags(words: words)
    }
}

/// A one-shot look at every reader and card, for `kyso doctor` and similar reports.
public enum PCSCSnapshot {
    /// Lists the readers and reads each one's state and ATR without waiting and without connecting
    /// to any card: `SCardEstablishContext`, `SCardListReaders`, `SCardGetStatusChange` (timeout 0),
    /// `SCardReleaseContext`. Does not block beyond round trips to pcscd.
    ///
    /// Throws ``PCSCError`` with ``PCSCError/Code/noService`` when pcscd is not running and
    /// ``PCSCError/Code/securityViolation`` when polkit refuses access; the error's
    /// ``PCSCError/Code/hint`` says what to do.
    public static func take() throws(PCSCError) -> [ReaderSnapshot] {
        let context = try PCSCContext()
        defer { try? context.release() }
        let names = try context.readers()
        guard !names.isEmpty else { return [] }
        var states = names.map { ReaderState(reader: $0) }
        _ = try context.statusChange(&states, timeout: .milliseconds(0))
        return states.map { state in
            let present = state.eventState.contains(.present)
            return ReaderSnapshot(name: state.reader, cardPresent: present,
                                  atr: present ? state.atr : [], flags: state.eventState.subtracting(.changed))
        }
    }
}

extension ReaderStateFlags {
    /// The flags named by ``words``; unknown words are ignored.
    public init(words: [String]) {
        self = ReaderStateFlags.allNamed.reduce(into: []) { result, pair in
            if words.contains(pair.word) { result.insert(pair.flag) }
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex, two digits per byte (ATRs, for the layers above PC/SC; the domain has KysoCore's `Hex`).
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hex (either case, no separators); nil when it is not hex.
    init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
