import Foundation
import KysoTestSupport
import ReaderMonitoring
import Logging
import PCSC
import ServiceLifecycle
import Testing

extension LivePCSC {
    @Suite("Reader monitor against a real pcscd")
    struct ReaderMonitorTests {
        @Test("a card inserted and pulled: cardInserted with the card's ATR, then cardRemoved")
        func insertAndRemove() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let identity = try await CardIdentity.make(in: folder, name: "card", commonName: "Monitor test card")
            let harness = MonitorHarness()
            for reader in pcscd.readerNames {
                try await harness.waitFor("readerAdded \(reader)") { $0 == .readerAdded(reader: reader) }
            }
            let mark = harness.count
            let card = try await VirtualCard(port: ports[0], identity: identity)
            let inserted = try await harness.waitFor("cardInserted", since: mark) {
                if case .cardInserted = $0 { true } else { false }
            }
            #expect(inserted.event == .cardInserted(reader: card.readerName, atr: card.atr))
            #expect(harness.monitor.readers.first { $0.reader == card.readerName }?.atr == card.atr)

            let removalMark = harness.count
            try await card.remove()
            try await harness.waitFor("cardRemoved", since: removalMark) { $0 == .cardRemoved(reader: card.readerName) }
            try await harness.settle()
            #expect(harness.events(since: mark).filter { $0.reader != card.readerName }.isEmpty)
            #expect(harness.monitor.readers.allSatisfy { !$0.cardPresent })

            try await harness.stop()
            #expect(harness.isStreamFinished)
            try await pcscd.stop()
        }

        @Test("two cards at once in two readers, each seen and removed on its own")
        func twoCards() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 2)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let first = try await CardIdentity.make(in: folder, name: "first", commonName: "Công ty Một TEST")
            let second = try await CardIdentity.make(in: folder, name: "second", commonName: "Công ty Hai TEST")
            let harness = MonitorHarness()
            for reader in pcscd.readerNames {
                try await harness.waitFor("readers listed") { $0 == .readerAdded(reader: reader) }
            }

            let mark = harness.count
            async let cardA = VirtualCard(port: ports[0], identity: first)
            async let cardB = VirtualCard(port: ports[1] + 1, identity: second)
            let (a, b) = try await (cardA, cardB)
            #expect(a.readerName != b.readerName)
            try await harness.waitFor("first card", since: mark) { $0 == .cardInserted(reader: a.readerName, atr: a.atr) }
            try await harness.waitFor("second card", since: mark) { $0 == .cardInserted(reader: b.readerName, atr: b.atr) }
            #expect(harness.monitor.readers.filter(\.cardPresent).map(\.reader).sorted() == [a.readerName, b.readerName].sorted())

            let removal = harness.count
            try await a.remove()
            try await harness.waitFor("first card removed", since: removal) { $0 == .cardRemoved(reader: a.readerName) }
            try await harness.settle()
            #expect(!harness.events(since: removal).contains { $0 == .cardRemoved(reader: b.readerName) })
            #expect(harness.monitor.readers.filter(\.cardPresent).map(\.reader) == [b.readerName])

            try await b.remove()
            try await harness.stop()
            try await pcscd.stop()
        }

        @Test("pcscd absent at start: serviceLost, then found within a second of its return")
        func pcscdAbsentAtStart() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let harness = MonitorHarness()
            let lost = try await harness.waitFor("serviceLost") { if case .serviceLost = $0 { true } else { false } }
            #expect(lost.event == .serviceLost(PCSCError(code: .noService, function: "SCardEstablishContext")))
            try await Task.sleep(for: .seconds(2))  // let the backoff reach its maximum
            #expect(harness.count == 1, "one loss is reported once, however many reconnects fail")

            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let ready = Date()
            let restored = try await harness.waitFor("serviceRestored") { $0 == .serviceRestored }
            for reader in pcscd.readerNames {
                try await harness.waitFor("readerAdded \(reader)") { $0 == .readerAdded(reader: reader) }
            }
            let delay = restored.at.timeIntervalSince(ready)
            print("monitor reconnected \(Int(delay * 1000)) ms after pcscd answered")
            #expect(delay < 1.0)
            try await harness.stop()
            try await pcscd.stop()
        }

        @Test("pcscd killed and restarted with the card back: only the differences are reported")
        func pcscdRestarted() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let identity = try await CardIdentity.make(in: folder, name: "card", commonName: "Restart test card")
            var pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let harness = MonitorHarness()
            var card = try await VirtualCard(port: ports[0], identity: identity)
            try await harness.waitFor("cardInserted") { $0 == .cardInserted(reader: card.readerName, atr: card.atr) }
            try await harness.settle()

            let mark = harness.count
            try await pcscd.kill()
            try await harness.waitFor("serviceLost", since: mark) { if case .serviceLost = $0 { true } else { false } }
            try await card.remove()  // vpcd closed its connection; the card program has ended
            pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            card = try await VirtualCard(port: ports[0], identity: identity)
            try await harness.waitFor("serviceRestored", since: mark) { $0 == .serviceRestored }
            try await eventually("the monitor seeing the card again") {
                harness.monitor.readers.contains { $0.reader == card.readerName && $0.cardPresent && $0.atr == card.atr }
            }
            try await harness.settle()
            let after = harness.events(since: mark)
            #expect(!after.contains { if case .readerAdded = $0 { true } else { false } }, "\(after)")
            #expect(!after.contains { if case .readerRemoved = $0 { true } else { false } }, "\(after)")
            // Whether the monitor looked before or after the card was back decides if it saw it missing.
            let cardEvents = after.filter { $0 == .cardRemoved(reader: card.readerName) || $0 == .cardInserted(reader: card.readerName, atr: card.atr) }
            #expect(cardEvents.isEmpty || cardEvents == [.cardRemoved(reader: card.readerName), .cardInserted(reader: card.readerName, atr: card.atr)],
                    "\(after)")
            #expect(after.filter { $0 == .serviceRestored }.count == 1)

            try await card.remove()
            try await harness.stop()
            try await pcscd.stop()
        }

        @Test("readers added and removed (vpcd readers are static: pcscd restarts with another configuration)")
        func readersAddedAndRemoved() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 2)
            let (oldReaders, newReaders) = (PrivatePCSCD.readerNames(port: ports[0]), PrivatePCSCD.readerNames(port: ports[1]))
            var pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: [ports[0]])
            let harness = MonitorHarness()
            try await harness.waitFor("first readers") { $0 == .readerAdded(reader: oldReaders[1]) }
            try await harness.waitFor("first readers") { $0 == .readerAdded(reader: oldReaders[0]) }

            var mark = harness.count
            try await pcscd.stop()
            pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            for reader in newReaders {
                try await harness.waitFor("new reader", since: mark) { $0 == .readerAdded(reader: reader) }
            }
            try await harness.settle()
            var readerEvents = harness.events(since: mark).filter { $0.reader != nil }
            #expect(Set(readerEvents) == Set(newReaders.map { .readerAdded(reader: $0) }) && readerEvents.count == 2)

            mark = harness.count
            try await pcscd.stop()
            pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: [ports[1]])
            for reader in oldReaders {
                try await harness.waitFor("reader removed", since: mark) { $0 == .readerRemoved(reader: reader) }
            }
            try await harness.settle()
            readerEvents = harness.events(since: mark).filter { $0.reader != nil }
            #expect(Set(readerEvents) == Set(oldReaders.map { .readerRemoved(reader: $0) }) && readerEvents.count == 2)
            #expect(Set(harness.monitor.readers.map(\.reader)) == Set(newReaders))

            try await harness.stop()
            try await pcscd.stop()
        }

        @Test("stopping the monitor ends its infinite wait at once (SCardCancel)")
        func stopsPromptly() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: try VPCDPorts.free(entries: 1))
            let harness = MonitorHarness()
            try await harness.waitFor("readers") { if case .readerAdded = $0 { true } else { false } }
            try await harness.settle(quiet: .milliseconds(200))
            let start = ContinuousClock.now
            try await harness.stop()
            let took = ContinuousClock.now - start
            #expect(took < .seconds(1), "stop took \(took)")
            #expect(harness.isStreamFinished)
            try await pcscd.stop()
        }

        @Test("stopping while pcscd is absent ends the backoff sleep at once")
        func stopsWhileDisconnected() async throws {
            _ = PrivatePCSCD.socketPath
            let harness = MonitorHarness(backoff: ReconnectBackoff(initial: .seconds(5), maximum: .seconds(5)))
            try await harness.waitFor("serviceLost") { if case .serviceLost = $0 { true } else { false } }
            let start = ContinuousClock.now
            try await harness.stop()
            #expect(ContinuousClock.now - start < .seconds(1))
        }
    }
}

extension LivePCSC {
    @Suite("Reader monitor as a service")
    struct ReaderMonitorServiceTests {
        @Test("graceful shutdown of its ServiceGroup ends the monitor's wait and its event stream")
        func gracefulShutdown() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: try VPCDPorts.free(entries: 1))
            var logger = Logger(label: "kyso.test.service-group")
            logger.logLevel = .critical
            let monitor = ReaderMonitor(logger: logger)
            let group = ServiceGroup(configuration: .init(services: [monitor], logger: logger))
            let running = Task { try await group.run() }
            var seen: [ReaderEvent] = []
            for await event in monitor.events {
                seen.append(event)
                if seen.count == pcscd.readerNames.count { break }
            }
            #expect(Set(seen) == Set(pcscd.readerNames.map { .readerAdded(reader: $0) }))
            let start = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(ContinuousClock.now - start < .seconds(1))
            var rest = 0
            for await _ in monitor.events { rest += 1 }  // finishes: the thread has ended
            #expect(rest == 0)
            try await pcscd.stop()
        }
    }
}
