import Foundation
import KysoAPI
public import Prometheus
import Synchronization

/// kysod's Prometheus metrics, served on `GET /metrics`.
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let tokens: Gauge
    private let subscribers: Gauge
    private let connections: Gauge
    private let requestDuration: DurationHistogram
    /// The certificates with a `kysod_certificate_expiry_seconds` series, so a certificate gone takes its series along.
    private let certificateSeries = Mutex<Set<String>>([])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        tokens = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "tokens", unitName: "", helpText: "Tokens present now."))
        subscribers = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "event_subscribers", unitName: "", helpText: "Clients following /v1/events."))
        connections = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "connections", unitName: "", helpText: "Open API connections."))
        requestDuration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "kysod", metricName: "request_duration", unitName: "seconds", helpText: "Time to answer an API request (event streams excluded)."),
            buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25),
                      .milliseconds(100), .milliseconds(500), .seconds(2)])
    }

    func request(route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "requests", unitName: "total", helpText: "API requests by route and status."),
            labels: [("route", route), ("status", String(status))]).increment()
        requestDuration.record(duration)
    }

    /// Seconds until each present certificate ends (negative once it has), by SHA-256: one series per certificate
    /// on a present token, so an alert can fire before a declarant's certificate runs out. Bounded by the tokens
    /// plugged in; a certificate no longer present loses its series.
    private func certificateExpiry(_ certificates: [TokenCertificate], now: Date) {
        let descriptor = MetricNameDescriptor(namespace: "kysod", metricName: "certificate_expiry", unitName: "seconds",
                                              helpText: "Seconds until the certificate ends (negative after), per certificate on a present token.")
        var present: Set<String> = []
        for certificate in certificates where present.insert(certificate.sha256).inserted {
            registry.makeGauge(descriptor: descriptor, labels: [("certificate", certificate.sha256)])
                .set(certificate.profile.validity.notAfter.timeIntervalSince(now).rounded())
        }
        let gone = certificateSeries.withLock { series in
            defer { series = present }
            return series.subtracting(present)
        }
        for sha256 in gone {
            registry.unregisterGauge(registry.makeGauge(descriptor: descriptor, labels: [("certificate", sha256)]))
        }
    }

    func connectionCount(_ count: Int) { connections.set(Double(count)) }

    /// A connection kysod closed because its request or the next one did not come in time.
    func connectionTimedOut(_ reason: RequestTimeoutHandler.Timeout) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "connections_timed_out", unitName: "total",
                                             helpText: "Connections kysod closed: reason request (not complete within headerTimeoutSeconds) or idle."),
            labels: [("reason", reason.rawValue)]).increment()
    }

    /// The text exposition format, with the gauges read from the inventory at scrape time.
    func exposition(inventory: Inventory) -> [UInt8] {
        tokens.set(Double(inventory.tokens.count))
        subscribers.set(Double(inventory.subscriberCount))
        // PKCS#11 modules by health, so an alert can fire on a stuck or failed module (every state always present).
        let modules = inventory.status(version: "").modules
        for state in ModuleState.allCases {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "modules", unitName: "", helpText: "PKCS#11 modules by state."),
                labels: [("state", state.rawValue)]).set(Double(modules.filter { $0.state == state }.count))
        }
        // Module hosts' restarts and crashes since kysod started, by module name (one series per configured module).
        // Gauges set from status at scrape time: the counts live with the hosts, and never go down while kysod runs.
        for module in modules {
            guard let host = module.host else { continue }
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "module_host_crashes", unitName: "",
                                                 helpText: "Module host processes that ended on their own (abort, SIGSEGV, exit), by module."),
                labels: [("module", module.name)]).set(Double(host.crashes))
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "kysod", metricName: "module_host_restarts", unitName: "",
                                                 helpText: "Module hosts started after the first one (after crashes, kills at the deadline, failed starts), by module."),
                labels: [("module", module.name)]).set(Double(host.restarts))
        }
        certificateExpiry(inventory.tokens.flatMap(\.certificates), now: Date())
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
