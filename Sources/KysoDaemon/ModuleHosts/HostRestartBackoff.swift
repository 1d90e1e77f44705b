/// How long to wait before starting a module's host again: at once after a host that served a while, then longer
/// after each host that failed to start or died soon after starting, so a module that crashes on every start costs
/// a process start every 30 s, not a busy loop.
struct HostRestartBackoff: Sendable {
    static let delays: [Duration] = [.zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
    /// A host that served this long before it ended counts as healthy: the next start is immediate again.
    static let healthyAfter: Duration = .seconds(30)

    private var quickFailures = 0
    private var servingSince: ContinuousClock.Instant?

    /// The wait before the next start.
    mutating func nextDelay(now: ContinuousClock.Instant = .now) -> Duration {
        if let servingSince, now - servingSince >= Self.healthyAfter { quickFailures = 0 }
        servingSince = nil
        defer { quickFailures += 1 }
        return Self.delays[min(quickFailures, Self.delays.count - 1)]
    }

    /// The host started and its module answered.
    mutating func serving(now: ContinuousClock.Instant = .now) { servingSince = now }
}
