/// A test or benchmark setup failure with a plain message (a helper that did not start, a wait that timed out).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
