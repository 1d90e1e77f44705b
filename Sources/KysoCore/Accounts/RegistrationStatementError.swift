/// Why a registration statement could not be built or read.
public struct RegistrationStatementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable code that callers can compare and put in API errors.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The certificate carries no valid `MST` identifier, so no account can be tied to it.
        case certificateHasNoTaxCode
        /// Not a JSON object of the statement's shape.
        case malformed
        case unsupportedVersion
        /// An account field, tax code, date or fingerprint inside the statement is invalid.
        case invalidField
        /// The challenge is empty or longer than `RegistrationStatement.maximumChallengeLength` bytes, or not base64.
        case invalidChallenge
        /// The nonce is not 32 bytes of base64.
        case invalidNonce
        /// Exactly one of `challenge` and `nonce` must be present.
        case challengeAndNonce
        /// Valid JSON of the right shape, but not byte for byte the canonical form (key order, spacing, escaping,
        /// letter case, extra keys): what was signed must be exactly what is stored.
        case notCanonical
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
