import Foundation
import KysoTestSupport
import KysoAPI
import PCSC

/// Virtual PIV cards in the private pcscd, read through OpenSC: listing against the peers with a per-APDU delay
/// standing in for a USB token, and the delay from a card's connection to kysod's events against a bare
/// PC/SC waiter (SCardGetStatusChange, what pcsc_scan uses).
struct CardBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    func run() async throws {
        let report = context.report
        report.notMeasured("events", "SoftHSM token added → token.inserted", target: "within the poll interval",
                           reason: "SoftHSM reads its token folder only at C_Initialize (Tests/PKCS11Tests/EnumerationTests.swift), so a token added while kysod runs never appears in-process; faking it would measure nothing")
        guard let pcsc = context.pcsc else {
            report.notMeasured("cards", "listing N virtual cards (10 ms per APDU)", target: "≥ 10× faster than either peer",
                               reason: "no private pcscd (pcscd or vsmartcard-vpcd not installed)")
            report.notMeasured("events", "card connected → token.inserted", target: "≤ 100 ms after pcscd reports the card",
                               reason: "no private pcscd")
            return
        }
        print("== virtual cards (OpenSC, private pcscd)")
        let cardsDirectory = context.work.appendingPathComponent("cards")
        try FileManager.default.createDirectory(at: cardsDirectory, withIntermediateDirectories: true)
        // --quick measures one size (2 cards) to stay near two minutes.
        let counts = context.plan.quick ? [2] : [1, pcsc.readerPorts.count]
        var identities: [(key: String, certificate: String)] = []
        for index in 0..<pcsc.readerPorts.count {
            identities.append(try context.cardIdentity(in: cardsDirectory, name: "card\(index)", provider: ["vnpt", "viettel", "fpt", "bkav"][index % 4]))
        }
        func startDaemon(_ name: String) throws -> Daemon {
            try Daemon(.init(softhsmConf: try context.lab.variant(0), modules: [BenchEnvironment.openSC], pcscSocket: pcsc.socketPath),
                       in: context.work, name: name)
        }
        let daemon = try startDaemon("cards")
        defer { daemon.stop() }
        let client = KysoClient(socketPath: daemon.socketPath)
        var environment = BenchEnvironment.base
        environment["PCSCLITE_CSOCK_NAME"] = pcsc.socketPath
        let peers = ListingPeers(module: BenchEnvironment.openSC, environment: environment)
        let repetitions = context.plan.quick ? 3 : 5

        for count in counts {
            var cards: [VirtualCard] = []
            for index in 0..<count {
                cards.append(try VirtualCard(port: pcsc.readerPorts[index], key: identities[index].key, certificate: identities[index].certificate,
                                             apduDelayMilliseconds: 10, log: cardsDirectory.appendingPathComponent("card\(index).log").path))
            }
            try await waitForTokens(client, count: count)
            let kyso = (BenchEnvironment.binary("kyso"), ["tokens", "--socket", daemon.socketPath])
            let kysoCount = ListingPeers.certificateCount(kyso, environment: environment, marker: "[TEST]")
            let kysoTime = try ListingPeers.median(kyso, environment: environment, repetitions: repetitions)
            var texts: [String] = []
            var slowestRatio = Double.infinity
            var figures: [String: Double] = ["cards": Double(count), "kysoMs": kysoTime * 1e3, "kysoCertificates": Double(kysoCount.count)]
            for (name, command, marker) in [("p11tool", peers.p11tool, "URL: pkcs11:"), ("pkcs11-tool loop", peers.pkcs11ToolLoop, "Certificate Object")] {
                guard let command else { continue }
                let listed = ListingPeers.certificateCount(command, environment: environment, marker: marker)
                let time = try ListingPeers.median(command, environment: environment, repetitions: repetitions)
                texts.append("\(name) \(ms(time)) (\(ListingPeers.listed(listed)))")
                slowestRatio = min(slowestRatio, time / kysoTime)
                figures["\(name == "p11tool" ? "p11tool" : "pkcs11ToolLoop")Ms"] = time * 1e3
                figures["\(name == "p11tool" ? "p11tool" : "pkcs11ToolLoop")Certificates"] = Double(listed.count)
            }
            figures["speedupOverFasterPeer"] = slowestRatio
            report.add("listing cards", "\(count) virtual card\(count == 1 ? "" : "s"), 10 ms per APDU: kyso tokens (median of \(repetitions))",
                       kyso: "\(ms(kysoTime)) (\(ListingPeers.listed(kysoCount))), \(String(format: "%.0f", slowestRatio))× faster than the faster peer",
                       peers: texts.joined(separator: "; "), target: "≥ 10× faster than either peer", met: slowestRatio >= 10,
                       figures: figures)
            let pulled = Clock.nanoseconds()
            for card in cards { card.remove() }
            if let stale = try await waitForTokens(client, count: 0, timeout: 10) {
                report.add("listing cards", "\(count) card\(count == 1 ? "" : "s") pulled after the peers read them → kysod lists none",
                           kyso: "\(stale) token\(stale == 1 ? "" : "s") still listed 10 s later, while /v1/status shows every reader empty",
                           target: "listing follows the pull", met: false,
                           note: "kysod bug: OpenSC tokens stay listed after their cards are pulled (see docs/benchmarks.md); the event measurement below uses a fresh kysod")
                break
            }
            report.add("listing cards", "\(count) card\(count == 1 ? "" : "s") pulled → kysod lists none",
                       kyso: ms(Double(Clock.nanoseconds() - pulled) / 1e9), figures: ["ms": Double(Clock.nanoseconds() - pulled) / 1e6])
        }
        daemon.stop()

        // A fresh kysod per insertion: a token that stays listed after its card is pulled (the bug above) must not
        // hide the next insertion's token.inserted.
        var removals: [Double] = []
        var stale = 0
        for delay in [0, 10] {
            try await measureEvents(pcsc: pcsc, identity: identities[0], delay: delay, repetitions: context.plan.quick ? 1 : 4,
                                    directory: cardsDirectory, startDaemon: { try startDaemon("events") },
                                    removals: &removals, stale: &stale)
        }
        report.add("events", "card pulled → token.removed on /v1/events (right after its token.inserted)",
                   kyso: removals.isEmpty ? "never within 3 s" : "median \(ms(Stats.median(removals))) in \(removals.count) of \(removals.count + stale)",
                   target: "every pull reported", met: stale == 0,
                   note: stale > 0 ? "\(stale) of \(removals.count + stale) pulls gave no token.removed within 3 s (the token stays listed): kysod bug, see docs/benchmarks.md" : nil,
                   figures: ["medianMs": Stats.median(removals) * 1e3, "missed": Double(stale)])
    }

    /// Waits until kysod lists `count` tokens: nil once it does, else how many it still lists at `timeout` (without one, 60 s and a throw).
    @discardableResult
    private func waitForTokens(_ client: KysoClient, count: Int, timeout: Double? = nil) async throws -> Int? {
        let deadline = Clock.nanoseconds() + UInt64((timeout ?? 60) * 1e9)
        while true {
            let listed = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self)
            if listed.tokens.count == count { return nil }
            if timeout != nil && Clock.nanoseconds() >= deadline { return listed.tokens.count }
            guard Clock.nanoseconds() < deadline else {
                let status = (try? await client.request(.GET, "/v1/status")).map { String(decoding: $0.body, as: UTF8.self) } ?? "?"
                throw TestFailure("kysod lists \(listed.tokens.count) card tokens after 60 s, \(count) expected; status: \(status)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Inserts one card `repetitions` times and times, from the card's connection to vpcd: the bare waiter
    /// seeing it present, kysod's card.inserted and token.inserted on /v1/events.
    private func measureEvents(pcsc: PrivatePCSC, identity: (key: String, certificate: String), delay: Int, repetitions: Int,
                               directory: URL, startDaemon: () throws -> Daemon,
                               removals: inout [Double], stale: inout Int) async throws {
        let port = pcsc.readerPorts[0]
        let reader = PrivatePCSC.readerName(port: port)
        // The bare waiter: what pcscd itself delivers (pcsc_scan waits the same way).
        let bare = UnsafeSendableBox<[Double]>([])
        let stop = UnsafeSendableBox(false)
        let bareContext = try PCSCContext()
        let waiter = Thread {
            var states = [ReaderState(reader: reader)]
            while !stop.value {
                guard let outcome = try? bareContext.statusChange(&states, timeout: .infinite), outcome == .changed else { break }
                if states[0].eventState.contains(.present) && !states[0].currentState.contains(.present) {
                    bare.withValue { $0.append(Date().timeIntervalSince1970) }
                }
                states[0].acknowledge()
            }
        }
        waiter.start()

        var toPCSC: [Double] = []
        var toCard: [Double] = []
        var toToken: [Double] = []
        for _ in 0..<repetitions {
            let daemon = try startDaemon()
            defer { daemon.stop() }
            let seen = UnsafeSendableBox<[(type: String, at: Double)]>([])
            let follower = Task {
                for try await event in KysoClient(socketPath: daemon.socketPath).events() {
                    seen.withValue { $0.append((event.event, Date().timeIntervalSince1970)) }
                }
            }
            defer { follower.cancel() }
            while !seen.value.contains(where: { $0.type == "snapshot" }) { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(300))
            let eventMark = seen.value.count
            let bareMark = bare.value.count
            let card = try VirtualCard(port: port, key: identity.key, certificate: identity.certificate, apduDelayMilliseconds: delay,
                                       log: directory.appendingPathComponent("event-card.log").path)
            let deadline = Clock.nanoseconds() + 30_000_000_000
            while !(seen.value.dropFirst(eventMark).contains { $0.type == "token.inserted" } && bare.value.count > bareMark) {
                guard Clock.nanoseconds() < deadline else { throw TestFailure("no token.inserted within 30 s of the card") }
                try await Task.sleep(for: .milliseconds(5))
            }
            let events = Array(seen.value.dropFirst(eventMark))
            toPCSC.append(bare.value[bareMark] - card.connectedAt)
            if let cardEvent = events.first(where: { $0.type == "card.inserted" }) { toCard.append(cardEvent.at - card.connectedAt) }
            toToken.append(events.first { $0.type == "token.inserted" }!.at - card.connectedAt)
            let removalMark = seen.value.count
            let pulledAt = Date().timeIntervalSince1970
            card.remove()
            let removalDeadline = Clock.nanoseconds() + 3_000_000_000
            while true {
                if let removed = seen.value.dropFirst(removalMark).first(where: { $0.type == "token.removed" }) {
                    removals.append(removed.at - pulledAt)
                    break
                }
                if Clock.nanoseconds() > removalDeadline { stale += 1; break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        stop.withValue { $0 = true }
        try? bareContext.cancel()
        waiter.cancel()
        try await Task.sleep(for: .milliseconds(100))
        try? bareContext.release()

        let pcscMedian = Stats.median(toPCSC)
        let tokenMedian = Stats.median(toToken)
        let cardMedian = Stats.median(toCard)
        let tokenAfterPCSC = tokenMedian - pcscMedian
        context.report.add("events", "card connected → token.inserted on /v1/events, \(delay) ms per APDU (median of \(repetitions))",
                           kyso: "token.inserted \(ms(tokenMedian)) (\(ms(tokenAfterPCSC)) after pcscd); card.inserted \(ms(cardMedian))",
                           peers: "bare SCardGetStatusChange waiter \(ms(pcscMedian))",
                           target: "≤ 100 ms after pcscd reports the card", met: tokenAfterPCSC <= 0.1,
                           note: "token.inserted needs OpenSC to read the card (C_GetSlotList, token info, certificates): each APDU pays the emulated delay",
                           figures: ["apduDelayMs": Double(delay), "pcscMs": pcscMedian * 1e3, "cardInsertedMs": cardMedian * 1e3,
                                     "tokenInsertedMs": tokenMedian * 1e3, "tokenAfterPCSCMs": tokenAfterPCSC * 1e3])
    }
}
