/// A text not yet put into words: a catalog key and its named arguments. Code that has no language (the domain in
/// KysoCore, kysod's services) says what it means with one; whoever knows the reader's language (kyso, kysod's HTTP
/// edge with Accept-Language) turns it into words with `Messages`.
public struct Message: Sendable, Hashable {
    public let key: String
    public let arguments: [String: String]
    /// Arguments that are messages themselves (a reason inside a sentence), worded in the same language first.
    public let parts: [String: Message]

    public init(_ key: String, _ arguments: [String: String] = [:], parts: [String: Message] = [:]) {
        self.key = key
        self.arguments = arguments
        self.parts = parts
    }
}

extension Messages {
    /// `message` in this language.
    public func callAsFunction(_ message: Message) -> String {
        self(message.key, message.parts.isEmpty ? message.arguments
            : message.arguments.merging(message.parts.mapValues { self($0) }) { given, _ in given })
    }
}
