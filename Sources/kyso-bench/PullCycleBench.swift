import Foundation
import KysoAPI

/// A virtual PIV card through OpenSC inserted and pulled `pullCycles` times, the pull 0, 0.1, 0.3, 0.5, 1 or 2 s after
/// its token.inserted and the next insertion 0.7 s after the pull: every pull must be reported as token.removed within
/// 1 s, every insertion as token.inserted, and the module must still be loaded at the end with kysod never restarted.
/// OpenSC 0.23 loaded into kysod deadlocks within a few such pulls (OPENSC-PULL-DEADLOCK.md); in its module host it
/// must not.
struct PullCycleBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    static let delays: [Double] = [0, 0.1, 0.3, 0.5, 1, 2]

    func run() async throws {
        let report = context.report
        let cycles = context.plan.pullCycles
        let name = "\(cycles) pulls of a card through OpenSC, 0–2 s after token.inserted: worst pull → token.removed"
        guard let pcsc = context.pcsc else {
            report.notMeasured("cards", name, target: "every pull ≤ 1 s", reason: "no private pcscd (pcscd or vsmartcard-vpcd not installed)")
            return
        }
        print("== \(cycles) insert/pull cycles of a virtual card (OpenSC in its module host, private pcscd)")
        let directory = context.work.appendingPathComponent("pulls")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (key, certificate) = try context.cardIdentity(in: directory, provider: "viettel")
        let daemon = try Daemon(.init(softhsmConf: try context.lab.variant(0), modules: [BenchEnvironment.openSC], pcscSocket: pcsc.socketPath,
                                      pollInterval: 30), in: context.work, name: "pulls")
        defer { daemon.stop() }
        let client = KysoClient(socketPath: daemon.socketPath)
        let seen = UnsafeSendableBox<[(type: String, at: UInt64)]>([])
        let follower = Task {
            for try await event in client.events() { seen.withValue { $0.append((event.event, Clock.nanoseconds())) } }
        }
        defer { follower.cancel() }
        while !seen.value.contains(where: { $0.type == "snapshot" }) { try await Task.sleep(for: .milliseconds(5)) }

        /// Waits for `type` after index `mark`; its arrival time, or nil after `timeout` seconds.
        func wait(_ type: String, after mark: Int, timeout: Double) async throws -> UInt64? {
            let deadline = Clock.nanoseconds() + UInt64(timeout * 1e9)
            while Clock.nanoseconds() < deadline {
                if let event = seen.value.dropFirst(mark).first(where: { $0.type == type }) { return event.at }
                try await Task.sleep(for: .milliseconds(2))
            }
            return nil
        }

        var removals: [Double] = []
        var late = 0
        var missedInsertions = 0
        var missedRemovals = 0
        let pid = daemon.pid
        for cycle in 0..<cycles {
            let mark = seen.value.count
            let card = try VirtualCard(port: pcsc.readerPorts[0], key: key, certificate: certificate, apduDelayMilliseconds: 0,
                                       log: directory.appendingPathComponent("card.log").path)
            guard try await wait("token.inserted", after: mark, timeout: 15) != nil else {
                missedInsertions += 1
                card.remove()
                break
            }
            try await Task.sleep(for: .milliseconds(Int(Self.delays[cycle % Self.delays.count] * 1000)))
            let pulledAt = Clock.nanoseconds()
            card.remove()
            guard let removedAt = try await wait("token.removed", after: mark, timeout: 15) else {
                missedRemovals += 1
                break
            }
            let seconds = Double(removedAt - pulledAt) / 1e9
            removals.append(seconds)
            if seconds > 1 { late += 1 }
            try await Task.sleep(for: .milliseconds(700))
        }
        let status = try await client.request(.GET, "/v1/status").decode(StatusResponse.self)
        let module = status.modules.first { $0.path == BenchEnvironment.openSC }
        let sorted = removals.sorted()
        let worst = sorted.last ?? .infinity
        let median = sorted.isEmpty ? .infinity : sorted[sorted.count / 2]
        let restarted = !daemon.isRunning || daemon.pid != pid
        let met = removals.count == cycles && late == 0 && module?.state == .loaded && status.tokenCount == 0 && !restarted
        report.add("cards", name,
                   kyso: String(format: "%@ (median %@; %d of %d pulls reported)", ms(worst), ms(median), removals.count, cycles),
                   target: "every pull ≤ 1 s", met: met,
                   note: "module \(module?.state.rawValue ?? "absent") at the end with \(status.tokenCount) token(s), host restarts \(module?.host?.restarts ?? -1), kysod \(restarted ? "RESTARTED" : "never restarted")"
                       + (late > 0 ? "; \(late) pulls over 1 s" : "") + (missedInsertions > 0 ? "; an insertion was not seen" : "")
                       + (missedRemovals > 0 ? "; a pull was never reported (stopped there)" : ""),
                   figures: ["worstSeconds": worst, "medianSeconds": median, "reported": Double(removals.count), "cycles": Double(cycles),
                             "late": Double(late), "hostRestarts": Double(module?.host?.restarts ?? -1)])
    }

    private func ms(_ seconds: Double) -> String { seconds.isFinite ? String(format: "%.0f ms", seconds * 1000) : "—" }
}
