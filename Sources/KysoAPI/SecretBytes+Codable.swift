public import KysoCore

/// On the wire a PIN or secret is a JSON string; in memory it is bytes from the moment the decoder hands it over.
extension SecretBytes: Codable {
    public convenience init(from decoder: any Decoder) throws {
        var text = try decoder.singleValueContainer().decode(String.self)
        self.init(decodedText: &text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(decoding: bytes, as: UTF8.self))
    }
}
