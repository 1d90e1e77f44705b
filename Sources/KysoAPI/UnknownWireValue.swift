/// A request named a value the API does not know for one of its enumerated fields.
public struct UnknownWireValue: Error, Sendable {
    public let field: String
    public let value: String
}

extension KeyedDecodingContainer {
    /// An optional enumerated field: absent or null is nil, a known value the enum, anything else `UnknownWireValue`.
    func decodeWireEnum<E: RawRepresentable>(_ type: E.Type, forKey key: Key) throws -> E? where E.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = E(rawValue: text) else { throw UnknownWireValue(field: key.stringValue, value: text) }
        return value
    }
}
