/// A certificate serial number in the two forms users meet.
public struct SerialNumberText: Sendable, Codable, Hashable {
    /// Uppercase hex of the DER integer octets, no separators: what Windows' certificate dialog and the
    /// declaration software show, and what VNACCS registration asks for. A leading `00` stays when DER has it.
    public var hex: String
    /// The same integer in decimal, as some portals and OpenSSL's `-serial` users quote it.
    public var decimal: String

    public init(derIntegerBytes bytes: some Collection<UInt8>) {
        self.hex = Hex.uppercase(bytes)
        self.decimal = Self.decimal(Array(bytes))
    }

    /// Two's complement big-endian octets to decimal (serials are positive in practice; a negative one is shown
    /// as such rather than silently reinterpreted).
    static func decimal(_ bytes: [UInt8]) -> String {
        guard let first = bytes.first else { return "0" }
        var magnitude = bytes
        let negative = first & 0x80 != 0
        if negative {
            // Negate: invert and add one.
            magnitude = magnitude.map { ~$0 }
            var index = magnitude.count - 1
            while index >= 0 {
                let (sum, overflow) = magnitude[index].addingReportingOverflow(1)
                magnitude[index] = sum
                if !overflow { break }
                index -= 1
            }
        }
        // Little-endian limbs in base 10^9.
        var limbs: [UInt64] = [0]
        for byte in magnitude {
            var carry = UInt64(byte)
            for index in limbs.indices {
                let value = limbs[index] * 256 + carry
                limbs[index] = value % 1_000_000_000
                carry = value / 1_000_000_000
            }
            while carry > 0 {
                limbs.append(carry % 1_000_000_000)
                carry /= 1_000_000_000
            }
        }
        var text = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let digits = String(limb)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return negative && text != "0" ? "-" + text : text
    }
}
