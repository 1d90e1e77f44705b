/// How long the reader monitor waits before reconnecting to pcscd: doubling from ``initial`` up to
/// ``maximum``, so pcscd is found again within ``maximum`` (plus one connect) of its return and an
/// absent pcscd costs a handful of cheap connects per second at most, never a spin.
///
/// A polkit refusal will not go away by itself, so it is retried only every ``refusedDelay``.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var refusedDelay: Duration
    private var attempt = 0

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .milliseconds(500),
                refusedDelay: Duration = .seconds(10)) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.refusedDelay = refusedDelay
    }

    /// The delay before the next attempt; each call doubles it up to the maximum.
    public mutating func nextDelay(refused: Bool = false) -> Duration {
        if refused { return refusedDelay }
        let delay = min(initial * (1 << min(attempt, 20)), maximum)
        attempt += 1
        return delay
    }

    /// Starts again from ``initial`` (after a connection that worked).
    public mutating func reset() { attempt = 0 }
}
