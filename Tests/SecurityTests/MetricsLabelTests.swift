import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Item 5 of the hardening review: request counters were labelled with the path sent, so any socket user could
/// grow `/metrics` (and kysod's memory) without bound.
@Suite("metrics labels come from route templates only")
struct MetricsLabelTests {
    @Test("2 000 random paths: /metrics stays small, holds none of them, and counts them as unmatched", .timeLimit(.minutes(2)))
    func randomPathsDoNotGrowMetrics() async throws {
        let (daemon, _, client) = try await SecurityLab.daemon()
        let baseline = try await client.request(.GET, "/metrics")
        #expect(baseline.status == 200)
        var markers: [String] = []
        for index in 0..<2000 {
            let marker = "zq\(UUID().uuidString.prefix(8).lowercased())"
            markers.append(marker)
            // Short and long paths, under /v1 and not, with query strings: every shape the old labels copied.
            let path = switch index % 5 {
            case 0: "/\(marker)"
            case 1: "/v1/\(marker)"
            case 2: "/v1/\(marker)/x"
            case 3: "/v1/tokens/x/\(marker)?q=\(marker)"
            default: "/v1/status?\(marker)=1"
            }
            let answer = try await client.request(.GET, path)
            #expect(answer.status == 404 || answer.status == 200, "\(path): \(answer.status)")
        }
        let metrics = try await client.request(.GET, "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        print("metrics: \(baseline.body.count) bytes before, \(metrics.body.count) bytes after 2 000 random paths")
        // The routes hit (unmatched and /v1/status, each with its status, plus /metrics) add a few counters, not 2 000.
        #expect(metrics.body.count < baseline.body.count + 2_000, "metrics grew to \(metrics.body.count) bytes")
        let leaked = markers.filter { text.contains($0) }
        #expect(leaked.isEmpty, "\(leaked.count) request paths appear in /metrics, e.g. \(leaked.prefix(3))")
        #expect(text.contains(#"route="unmatched",status="404""#) || text.contains(#"status="404",route="unmatched""#),
                "no unmatched counter: \(text.split(separator: "\n").filter { $0.contains("requests_total") })")
        #expect(text.contains(#"route="/v1/status""#))
        try await daemon.stop()
    }
}
