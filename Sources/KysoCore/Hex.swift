/// Hex text for fingerprints (lowercase, as the JSON contract says) and serial numbers (uppercase, as Windows shows).
enum Hex {
    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    static func lowercase(_ bytes: some Sequence<UInt8>) -> String { encode(bytes, lowerDigits) }
    static func uppercase(_ bytes: some Sequence<UInt8>) -> String { encode(bytes, upperDigits) }

    private static func encode(_ bytes: some Sequence<UInt8>, _ digits: [UInt8]) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
