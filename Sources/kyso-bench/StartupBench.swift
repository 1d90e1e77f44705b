import Foundation

/// Process start (posix_spawn) to READY=1 on NOTIFY_SOCKET, with 0, 10 and 100 SoftHSM tokens.
struct StartupBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    func run() async throws {
        let report = context.report
        let plan = context.plan
        print("== start-up: process start to READY=1")
        let repetitions = plan.quick ? 3 : 5
        for count in [0, 10, 100] {
            let name = "kysod start → READY=1, \(count) tokens (median of \(repetitions))"
            let target = count == 10 ? "≤ 300 ms" : ""
            guard count < context.lab.tokens.count else {
                if target.isEmpty {
                    report.add("start-up", name, kyso: "—", note: "not measured in --quick (a 100-token lab takes about a minute to make)")
                } else {
                    report.notMeasured("start-up", name, target: target, reason: "lab too small")
                }
                continue
            }
            let conf = try context.lab.variant(count)
            var readies: [Double] = []
            for _ in 0..<repetitions {
                let daemon = try Daemon(.init(softhsmConf: conf, pcscSocket: context.pcsc?.socketPath), in: context.work, name: "start-\(count)")
                readies.append(daemon.readySeconds)
                daemon.stop()
            }
            let median = Stats.median(readies)
            report.add("start-up", name, kyso: "\(ms(median)) (best \(ms(readies.min()!)), worst \(ms(readies.max()!)))",
                       target: target, met: target.isEmpty ? nil : median <= 0.3,
                       note: count == 0 && context.pcsc != nil ? "with the private pcscd's readers watched" : nil,
                       figures: ["tokens": Double(count), "medianMs": median * 1e3, "bestMs": readies.min()! * 1e3, "worstMs": readies.max()! * 1e3])
        }
    }
}
