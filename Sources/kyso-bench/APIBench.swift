import Foundation
import KysoTestSupport
import KysoAPI
#if canImport(Glibc)
import Glibc
#endif

/// Idle cost, memory over 100 000 requests, and the read API's latency and throughput, on one kysod serving
/// 10 SoftHSM tokens (and the private pcscd's empty readers when there is one).
struct APIBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    func run(memory: Bool) async throws {
        let report = context.report
        let plan = context.plan
        print("== \(memory ? "idle cost and memory" : "read API"): kysod on 10 SoftHSM tokens\(context.pcsc == nil ? " (--no-pcsc)" : " + private pcscd with 4 empty vpcd readers")")
        let status = HTTPLoad.Request(path: "/v1/status")
        let tokens = HTTPLoad.Request(path: "/v1/tokens")
        // Each part has a kysod of its own, so a daemon that dies under one part does not take the other down.
        func startDaemon(_ name: String) async throws -> Daemon {
            let daemon = try Daemon(.init(softhsmConf: try context.lab.variant(10), pcscSocket: context.pcsc?.socketPath),
                                    in: context.work, name: name)
            let listed = try await KysoClient(socketPath: daemon.socketPath).request(.GET, "/v1/tokens").decode(TokenListResponse.self)
            guard listed.tokens.count == 10 else { throw TestFailure("kysod lists \(listed.tokens.count) tokens, 10 expected") }
            return daemon
        }

        if memory {
            let daemon = try await startDaemon("memory")
            defer { daemon.stop() }
            let load = HTTPLoad(socketPath: daemon.socketPath, group: context.load)
            // Let start-up work (first poll, reader scan) finish before watching it idle.
            try await Task.sleep(for: .seconds(2))
            let before = try daemon.stats()
            try await Task.sleep(for: .seconds(plan.idleSeconds))
            let after = try daemon.stats()
            let cpuPercent = (after.cpuSeconds - before.cpuSeconds) / plan.idleSeconds * 100
            let switches = after.switches(since: before)
            let wakeups = Double(switches) / plan.idleSeconds
            report.add("idle", "CPU idle over \(Int(plan.idleSeconds)) s, 10 tokens",
                       kyso: String(format: "%.3f %% (%.2f s CPU)", cpuPercent, after.cpuSeconds - before.cpuSeconds),
                       target: "≤ 0.1 %", met: cpuPercent <= 0.1,
                       note: "utime+stime of all threads from /proc/PID/stat; 10 ms clock ticks, so short runs are coarse",
                       figures: ["cpuPercent": cpuPercent, "cpuSeconds": after.cpuSeconds - before.cpuSeconds, "seconds": plan.idleSeconds])
            report.add("idle", "Wake-ups idle (context switches, all \(after.threads) threads)",
                       kyso: String(format: "%.1f/s (%d in %.0f s)", wakeups, switches, plan.idleSeconds),
                       note: "voluntary + involuntary, per thread from /proc/PID/task/*/status (a thread that exits in the window is not counted); SoftHSM has no slot events, so kysod polls its slot list (default every 2 s)",
                       figures: ["wakeupsPerSecond": wakeups, "contextSwitches": Double(switches)])
            report.add("memory", "Resident memory idle (VmRSS)", kyso: mib(after.rssKiB), target: "≤ 30 MB",
                       met: Double(after.rssKiB) * 1024 <= 30e6, figures: ["rssKiB": Double(after.rssKiB)])

            let first = try await checked(daemon) { try await load.run([status, tokens], connections: 8, warmUp: 0, seconds: 0, totalRequests: 100_000) }
            let afterFirst = try daemon.stats()
            let second = try await checked(daemon) {
                try await load.run([status, tokens], connections: 8, warmUp: 0, seconds: 0, totalRequests: 100_000)
            }
            let afterSecond = try daemon.stats()
            let growth = afterFirst.rssKiB - after.rssKiB
            let growthSecond = afterSecond.rssKiB - afterFirst.rssKiB
            report.add("memory", "Resident memory after 100 000 requests (growth from idle)",
                       kyso: "\(mib(afterFirst.rssKiB)) (+\(mib(growth)))", target: "growth < 2 MB",
                       met: Double(growth) * 1024 < 2e6,
                       note: "8 keep-alive connections, half GET /v1/status, half GET /v1/tokens (10 tokens); \(first.failures + second.failures) failures",
                       figures: ["rssKiB": Double(afterFirst.rssKiB), "growthKiB": Double(growth), "requests": Double(first.completed)])
            report.add("memory", "… after 100 000 more requests (growth in the second batch)",
                       kyso: "\(mib(afterSecond.rssKiB)) (+\(mib(growthSecond)))",
                       note: "a leak keeps growing here; allocator warm-up does not",
                       figures: ["rssKiB": Double(afterSecond.rssKiB), "growthKiB": Double(growthSecond)])
        }

        // Insert/remove cycles of a virtual card: CardCycleBench, in the same section.
        guard !memory else { return }
        let daemon = try await startDaemon("api")
        defer { daemon.stop() }
        let client = KysoClient(socketPath: daemon.socketPath)
        let load = HTTPLoad(socketPath: daemon.socketPath, group: context.load)
        for (request, name) in [(status, "GET /v1/status"), (tokens, "GET /v1/tokens (10 tokens)")] {
            for clients in [1, 8, 64] {
                let before = try daemon.stats()
                let outcome = try await checked(daemon) {
                    try await load.run([request], connections: clients, warmUp: plan.warmUp, seconds: plan.window)
                }
                let after = try daemon.stats()
                let cpuPerRequest = (after.cpuSeconds - before.cpuSeconds) / Double(max(outcome.answered, 1))
                let text = "p50 \(us(outcome.p50)), p99 \(us(outcome.p99)), \(rate(outcome.requestsPerSecond))"
                let isStatus = request.path == "/v1/status"
                var target = ""
                var met: Bool?
                if isStatus && clients == 1 {
                    target = "p50 ≤ 100 µs, p99 ≤ 500 µs"
                    met = outcome.p50 <= 100e-6 && outcome.p99 <= 500e-6
                } else if isStatus {
                    target = "≥ 20 000 req/s"
                    met = outcome.requestsPerSecond >= 20_000
                }
                report.add("api", "\(name), \(clients) client\(clients == 1 ? "" : "s")", kyso: text, target: target, met: met,
                           note: String(format: "kysod CPU %.0f µs/request; %d failures", cpuPerRequest * 1e6, outcome.failures),
                           figures: ["p50Us": outcome.p50 * 1e6, "p99Us": outcome.p99 * 1e6, "requestsPerSecond": outcome.requestsPerSecond,
                                     "clients": Double(clients), "serverCpuUsPerRequest": cpuPerRequest * 1e6,
                                     "failures": Double(outcome.failures)])
            }
        }
        // What the kyso CLI pays: KysoClient opens a connection per request.
        var latencies: [Double] = []
        for _ in 0..<(plan.quick ? 300 : 1000) {
            let began = Clock.nanoseconds()
            _ = try await client.request(.GET, "/v1/status")
            latencies.append(Double(Clock.nanoseconds() - began) / 1e9)
        }
        report.add("api", "GET /v1/status, 1 client, new connection per request (KysoClient, as `kyso` does)",
                   kyso: "p50 \(us(Stats.median(latencies))), p99 \(us(Stats.percentile(latencies, 0.99)))",
                   figures: ["p50Us": Stats.median(latencies) * 1e6, "p99Us": Stats.percentile(latencies, 0.99) * 1e6])
    }
}
