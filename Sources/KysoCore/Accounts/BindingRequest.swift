/// A signed registration statement offered for binding. The caller has already verified `signature` (CMS) over
/// `statementBytes` against the certificate; the rules judge everything else.
public struct BindingRequest: Sendable, Hashable {
    public let statement: RegistrationStatement
    public let statementBytes: [UInt8]
    public let signature: [UInt8]

    /// Reads the statement, which must be canonical.
    public init(statementBytes: [UInt8], signature: [UInt8]) throws(RegistrationStatementError) {
        self.statement = try RegistrationStatement(canonicalBytes: statementBytes)
        self.statementBytes = statementBytes
        self.signature = signature
    }

    /// From a statement built here; its canonical bytes are what must have been signed.
    public init(statement: RegistrationStatement, signature: [UInt8]) {
        self.statement = statement
        self.statementBytes = statement.canonicalBytes
        self.signature = signature
    }
}
