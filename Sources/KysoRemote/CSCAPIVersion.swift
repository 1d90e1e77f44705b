/// The two versions of the Cloud Signature Consortium API a remote signing service may speak.
///
/// They differ in member names more than in meaning: v1.0.4.0 sends `hash`/`hashAlgo` and `PIN`/`OTP`, v2.0.0.2
/// `hashes`/`hashAlgorithmOID` and `authData`, and only v2 can answer a signature asynchronously
/// (`operationMode` "A", then `signatures/signPolling`).
public enum CSCAPIVersion: String, Sendable, Codable, Hashable, CaseIterable {
    case v1 = "1.0.4.0"
    case v2 = "2.0.0.2"

    /// Whether `signatures/signHash` may answer with a `responseID` to poll.
    public var supportsAsynchronousSignatures: Bool { self == .v2 }
}
