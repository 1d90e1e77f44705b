/// Why a secret could not be sealed or opened. Never carries the secret.
public struct SealingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The host key file is missing and cannot be created, unreadable, the wrong size or readable by others.
        case hostKeyUnusable
        /// The ciphertext does not open with this key and context (tampered, moved, or another key).
        case cannotOpen
        /// The certificate cannot be read, or its key is not RSA of at least 2048 bits.
        case certificateUnsuitable
        /// The certificate's key usage does not allow key encipherment.
        case keyUsageForbidsEncryption
        /// The secret (with its context) is too long for the key.
        case tooLong
        case cryptoFailure
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
