/// Domain separation for registration proofs: the token signs the context string followed by the canonical
/// statement, never the statement alone, and the plain signing endpoint refuses data that begins with the context.
///
/// So a signature someone obtained for "just sign these bytes" (a document, a web page's request, a hand-built
/// statement sent to `/v1/tokens/{id}/sign`) can never pass as a registration proof, and a verifier outside
/// Kyso that knows the context can tell the two kinds apart. The NUL ends the context: no canonical statement
/// (JSON text) contains one, so context and statement cannot be shifted against each other.
public enum RegistrationSigning {
    /// `kyso-registration-v1` and a NUL byte.
    public static let context: [UInt8] = Array("kyso-registration-v1".utf8) + [0]

    /// What the token signs for `statement` (its canonical bytes): the context, then the statement.
    public static func signedContent(statement: some Collection<UInt8>) -> [UInt8] {
        context + Array(statement)
    }

    /// Whether `data` begins with the context, so that signing it as is could forge a registration proof.
    public static func isReserved(_ data: some Collection<UInt8>) -> Bool {
        data.starts(with: context)
    }
}
