import Foundation
import KysoTestSupport
import ReaderMonitoring
import PCSC
import Testing

extension LivePCSC {
    /// Not a timed assertion: measures, for the report, how long after a virtual card connects to vpcd
    /// the monitor's cardInserted event arrives, over many insertions. Opt-in, it takes about a minute:
    /// `KYSO_PCSC_MEASURE=50 swift test --filter InsertionLatency`.
    @Suite("Insertion latency measurement (opt-in)")
    struct InsertionLatency {
        static let insertions = Int(ProcessInfo.processInfo.environment["KYSO_PCSC_MEASURE"] ?? "") ?? 0

        @Test("card connection → ReaderMonitor cardInserted, and → a bare SCardGetStatusChange waiter",
              .enabled(if: insertions > 0))
        func measure() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let identity = try await CardIdentity.make(in: folder, name: "card", commonName: "Latency card")
            let harness = MonitorHarness()
            let reader = PrivatePCSCD.readerNames(port: ports[0])[0]
            try await harness.waitFor("reader") { $0 == .readerAdded(reader: reader) }

            // A bare waiter beside the monitor: what pcscd itself delivers, to separate pcscd's share.
            let bare = Locked<[Double]>([])
            let stopBare = Locked(false)
            let bareContext = try PCSCContext()
            let bareThread = Thread {
                var states = [ReaderState(reader: reader)]
                while !stopBare.value {
                    guard let outcome = try? bareContext.statusChange(&states, timeout: .infinite), outcome == .changed else { break }
                    if states[0].eventState.contains(.present) && !states[0].currentState.contains(.present) {
                        bare.withLock { $0.append(Date().timeIntervalSince1970) }
                    }
                    states[0].acknowledge()
                }
            }
            bareThread.start()

            var monitorDelays: [Double] = []
            var bareDelays: [Double] = []
            for _ in 0..<Self.insertions {
                let mark = harness.count
                let bareMark = bare.value.count
                let card = try await VirtualCard(port: ports[0], identity: identity)
                let event = try await harness.waitFor("cardInserted", since: mark) { $0 == .cardInserted(reader: reader, atr: card.atr) }
                monitorDelays.append(event.at.timeIntervalSince1970 - card.connectedAt)
                try await eventually("bare waiter") { bare.value.count > bareMark }
                bareDelays.append(bare.value[bareMark] - card.connectedAt)
                let removal = harness.count
                try await card.remove()
                try await harness.waitFor("cardRemoved", since: removal) { $0 == .cardRemoved(reader: reader) }
            }
            stopBare.withLock { $0 = true }
            try bareContext.cancel()
            try await Task.sleep(for: .milliseconds(100))
            try? bareContext.release()

            func summary(_ values: [Double]) -> String {
                let sorted = values.sorted()
                let ms = { (value: Double) in String(format: "%.0f ms", value * 1000) }
                return "median \(ms(sorted[sorted.count / 2])), p90 \(ms(sorted[sorted.count * 9 / 10])), worst \(ms(sorted.last!)), best \(ms(sorted.first!))"
            }
            let overhead = zip(monitorDelays, bareDelays).map { $0 - $1 }
            print("insertions: \(monitorDelays.count)")
            print("card connected → ReaderMonitor cardInserted: \(summary(monitorDelays))")
            print("card connected → bare SCardGetStatusChange:  \(summary(bareDelays))")
            print("monitor minus bare waiter: \(summary(overhead))")
            #expect(monitorDelays.count == Self.insertions)
            try await harness.stop()
            try await pcscd.stop()
        }
    }
}
