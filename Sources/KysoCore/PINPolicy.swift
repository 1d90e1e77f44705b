/// Whether Kyso may try a login now. Kyso never retries a PIN by itself; this decides the first attempt.
public enum PINPolicy {
    public enum Decision: Hashable, Sendable {
        case proceed
        /// Go ahead, but tell the caller a wrong PIN was entered recently.
        case proceedWithWarning(String)
        /// Refuse without touching the token.
        case refuse(reason: String)
    }

    /// - Parameter allowFinalTry: the caller has confirmed that a wrong PIN now may lock the token.
    public static func decide(_ status: PINStatus, allowFinalTry: Bool) -> Decision {
        switch status.state {
        case .locked:
            return .refuse(reason: "the token's PIN is locked; unlock it with the SO PIN or the vendor's tool")
        case .notInitialized:
            return .refuse(reason: "the token's user PIN is not initialised")
        case .finalTry where !allowFinalTry:
            return .refuse(reason: "one PIN try is left and a wrong PIN would lock the token; repeat with allowFinalTry to confirm")
        case .finalTry:
            return .proceedWithWarning("final PIN try: a wrong PIN locks the token")
        case .countLow:
            return .proceedWithWarning("a wrong PIN was entered recently; tries are running low")
        case .ok:
            return .proceed
        }
    }
}
