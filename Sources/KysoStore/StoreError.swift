/// Why the store refused or failed a request. Compared by `code`, so callers and tests can match without wording.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable code that callers can compare and map to API errors.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// An account with this key (User ID, or tax code for an admin account) is already bound.
        case duplicateAccount
        /// The certificate already serves another declarant account.
        case certificateAlreadyBound
        /// No binding with this key.
        case notBound
        /// A binding's registration statement was not signed by this kysod's registration endpoint.
        case statementNotIssued
        /// A binding's registration statement was bound once already (an unbind does not make it new).
        case statementAlreadyUsed
        /// A stored row no longer reads as valid domain values (hand-edited or from a future version).
        case invalidStoredValue
        /// The state directory or database file could not be created, opened or given safe permissions.
        case fileSystem
        /// Any other SQLite failure; `reason` carries SQLite's message (never a secret: none is ever in SQL text).
        case database
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
