/// What a token's PIN flags mean right after Kyso's own successful login.
///
/// A correct PIN resets the retry counter on every card, yet some modules go on reporting the count-low or
/// final-try flag of the failures before it for as long as the card stays verified: OpenSC's PIV driver asks the
/// card for the tries left with an empty VERIFY, which a verified card answers with 9000 and no count, so the old
/// count stays. Left alone, kysod would then refuse every later signature as a final try until the card was
/// re-plugged. Flags read right after a successful login are such leftovers; they are discounted for as long as the
/// module keeps reporting exactly them. Any change (another program's wrong PIN, a lock) is believed at once.
public struct PINFlagsAfterLogin: Sendable, Equatable {
    /// The status the module reported right after the login succeeded.
    public let reportedAfterSuccess: PINStatus

    /// Remembered only when it claims a lowered count; nil otherwise (nothing to discount).
    public init?(reportedAfterSuccess status: PINStatus) {
        guard status.state == .countLow || status.state == .finalTry else { return nil }
        reportedAfterSuccess = status
    }

    /// The status to decide on: `fresh` with the counter reset when it is still exactly the leftover.
    public func effective(_ fresh: PINStatus) -> PINStatus {
        guard fresh == reportedAfterSuccess else { return fresh }
        return PINStatus(locked: false, finalTry: false, countLow: false, initialized: true, mustChange: fresh.mustChange,
                         protectedAuthenticationPath: fresh.protectedAuthenticationPath, loginRequired: fresh.loginRequired)
    }
}
