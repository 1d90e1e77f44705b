/// A web origin that may ask for signatures through the browser extension: `https://host[:port]`, or
/// `http://localhost[:port]` for a page author's development server. Nothing else: a plain-HTTP page can be
/// rewritten by anyone on its network path, so its request says nothing about who asked.
///
/// Checked by the browser host before it shows a dialog and again by kysod on `SignRequest.origin`, which
/// records it in the audit log: the text must be exactly an origin as browsers serialise it (lowercase scheme
/// and host, no path, no user info, no default port), so two spellings of one site never look like two.
public struct BrowserOrigin: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let maximumLength = 255

    public let value: String
    public var description: String { value }

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case tooLong
        case malformed
        /// Well formed, but neither HTTPS nor http://localhost.
        case insecure

        public var description: String {
            switch self {
            case .tooLong: "an origin is at most \(BrowserOrigin.maximumLength) characters"
            case .malformed: "not an origin: scheme://host[:port], lowercase, without path"
            case .insecure: "only https:// origins (and http://localhost for development) may ask for signatures"
            }
        }
    }

    public init(_ text: String) throws(Refusal) {
        guard text.utf8.count <= Self.maximumLength else { throw .tooLong }
        let scheme: String
        let rest: Substring
        if text.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst("https://".count)
        } else if text.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst("http://".count)
        } else if text.contains("://") {
            throw .insecure
        } else {
            throw .malformed
        }
        let host: Substring
        if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("[") || rest[..<colon].hasSuffix("]") {
            host = rest[..<colon]
            let port = rest[rest.index(after: colon)...]
            guard let number = Int(port), (1...65535).contains(number), String(number) == port else { throw .malformed }
            guard !(scheme == "https" && number == 443), !(scheme == "http" && number == 80) else { throw .malformed }
        } else {
            host = rest
        }
        guard Self.isHost(host) else { throw .malformed }
        guard scheme == "https" || host == "localhost" else { throw .insecure }
        value = text
    }

    /// A DNS name (letters, digits, hyphens, dots; punycode for the rest) or a bracketed IPv6 address, lowercase.
    private static func isHost(_ host: Substring) -> Bool {
        guard !host.isEmpty else { return false }
        if host.hasPrefix("[") {
            return host.hasSuffix("]") && host.count > 2
                && host.dropFirst().dropLast().allSatisfy { $0.isHexDigit && !$0.isUppercase || $0 == ":" || $0 == "." }
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
