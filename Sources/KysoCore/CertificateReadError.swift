/// Why bytes could not be read as certificates. The `reason` is written for the person who gave us the file.
public struct CertificateReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable code that tests and callers can compare.
    public enum Code: String, Sendable, Codable {
        case empty
        case tooLarge
        case malformedPEM
        case noCertificate
        case malformedDER
        case malformedPKCS7
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
