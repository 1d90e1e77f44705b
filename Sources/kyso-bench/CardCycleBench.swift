import Foundation
import KysoTestSupport
import KysoAPI

/// kysod's resident memory over many insertions and removals of a virtual PIV card (OpenSC, private pcscd):
/// each cycle waits for token.inserted and token.removed on /v1/events, so every card is read and dropped in
/// full. Memory that a token's arrival or departure leaves behind grows here.
struct CardCycleBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    /// Enough cycles (4 events each) to fill the event history, so its bounded growth is not counted as a leak.
    private static let warmUpCycles = 20
    private static let eventBufferSize = 32
    private static let settleMilliseconds = 300

    func run() async throws {
        let report = context.report
        let cycles = context.plan.cardCycles
        let name = "Resident memory after \(cycles) insert/remove cycles of a virtual card"
        guard let pcsc = context.pcsc else {
            report.notMeasured("memory", name, target: "growth < 2 MB", reason: "no private pcscd (pcscd or vsmartcard-vpcd not installed)")
            return
        }
        print("== memory over \(cycles) virtual-card insert/remove cycles (OpenSC, private pcscd)")
        let directory = context.work.appendingPathComponent("cycles")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (key, certificate) = try context.cardIdentity(in: directory, provider: "vnpt")
        let daemon = try Daemon(.init(softhsmConf: try context.lab.variant(0), modules: [BenchEnvironment.openSC], pcscSocket: pcsc.socketPath,
                                      configuration: #"{"limits": {"eventBufferSize": \#(Self.eventBufferSize)}}"#),
                                in: context.work, name: "cycles")
        defer { daemon.stop() }
        let client = KysoClient(socketPath: daemon.socketPath)
        let seen = UnsafeSendableBox<[String]>([])
        let follower = Task {
            for try await event in client.events() { seen.withValue { $0.append(event.event) } }
        }
        defer { follower.cancel() }
        while !seen.value.contains("snapshot") { try await Task.sleep(for: .milliseconds(5)) }

        /// One insertion and removal; false when kysod gave no token.removed within 10 s.
        func cycle() async throws -> Bool {
            let mark = seen.value.count
            let card = try VirtualCard(port: pcsc.readerPorts[0], key: key, certificate: certificate, apduDelayMilliseconds: 0,
                                       log: directory.appendingPathComponent("card.log").path)
            let insertDeadline = Clock.nanoseconds() + 30_000_000_000
            while !seen.value.dropFirst(mark).contains("token.inserted") {
                guard Clock.nanoseconds() < insertDeadline else { throw TestFailure("no token.inserted within 30 s of the card") }
                try await Task.sleep(for: .milliseconds(2))
            }
            // Pulled only once kysod has finished with the card: OpenSC 0.23 can deadlock in C_GetTokenInfo when a
            // card goes in the middle of its reads (a known issue, see the fault tests), and this measures memory.
            try await Task.sleep(for: .milliseconds(Self.settleMilliseconds))
            card.remove()
            let removeDeadline = Clock.nanoseconds() + 10_000_000_000
            while !seen.value.dropFirst(mark).contains("token.removed") {
                if Clock.nanoseconds() >= removeDeadline {
                    // The token stayed listed: wait until kysod drops it, so the next insertion is a new token again.
                    while try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens.count > 0 {
                        guard Clock.nanoseconds() < removeDeadline + 30_000_000_000 else { throw TestFailure("the card's token stays listed") }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return false
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            return true
        }

        // Warm-up: the first cards load OpenSC's card drivers and fill the allocator; growth after that is what leaks.
        let idle = try daemon.stats()
        for _ in 0..<Self.warmUpCycles { _ = try await cycle() }
        let before = try daemon.stats()
        let began = Clock.nanoseconds()
        var missed = 0
        var done = 0
        var failure: String?
        do {
            while done < cycles {
                if !(try await cycle()) { missed += 1 }
                done += 1
            }
        } catch {
            failure = "stopped after \(done) of \(cycles) cycles: \(error)"
        }
        let seconds = Double(Clock.nanoseconds() - began) / 1e9
        let after = try daemon.stats()
        let growth = after.rssKiB - before.rssKiB
        report.add("memory", name,
                   kyso: "\(mib(after.rssKiB)) (+\(mib(growth)) over \(done) cycles; \(mib(idle.rssKiB)) idle before the first card)",
                   target: "growth < 2 MB", met: failure == nil && Double(growth) * 1024 < 2e6,
                   note: String(format: "after %d warm-up cycles, event history bounded to %d events (its fill is not a leak); %.0f ms per cycle (insert → token.inserted → %d ms → pull → token.removed)%@%@",
                                Self.warmUpCycles, Self.eventBufferSize, seconds / Double(max(done, 1)) * 1e3, Self.settleMilliseconds,
                                missed > 0 ? "; \(missed) pulls gave no token.removed within 10 s" : "", failure.map { "; " + $0 } ?? ""),
                   figures: ["rssKiB": Double(after.rssKiB), "growthKiB": Double(growth), "idleKiB": Double(idle.rssKiB),
                             "cycles": Double(done), "msPerCycle": seconds / Double(max(done, 1)) * 1e3, "missedRemovals": Double(missed)])
    }
}
