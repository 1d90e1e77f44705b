import Foundation
import KysoTestSupport
import PCSC
import Testing

extension LivePCSC {
    @Suite("PCSC wrapper")
    struct WrapperTests {
        @Test("no pcscd: SCardEstablishContext fails with SCARD_E_NO_SERVICE and a hint")
        func noService() throws {
            _ = PrivatePCSCD.socketPath  // nobody listens there between tests
            let error = try #require(throws: PCSCError.self) { try PCSCContext() }
            #expect(error == PCSCError(code: .noService, function: "SCardEstablishContext"))
            #expect(error.code.name == "SCARD_E_NO_SERVICE")
            #expect(error.description.contains("pcscd is not running"))
        }

        @Test("context, readers, validity and release")
        func contextLifecycle() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 2)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let context = try PCSCContext()
            #expect(context.isValid)
            #expect(Set(try context.readers()) == Set(pcscd.readerNames))
            try context.release()
            #expect(!context.isValid)
            try context.release()  // second release is a no-op
            try await pcscd.stop()
        }

        @Test("a pcscd without readers lists none (SCARD_E_NO_READERS_AVAILABLE is an empty list)")
        func noReaders() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: [])
            let context = try PCSCContext()
            #expect(try context.readers().isEmpty)
            try context.release()
            try await pcscd.stop()
        }

        @Test("status change reports a card's presence and ATR, then its removal")
        func presenceAndATR() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let identity = try await CardIdentity.make(in: folder, name: "card", commonName: "Wrapper test card")
            let context = try PCSCContext()
            defer { try? context.release() }

            var states = try context.readers().map { ReaderState(reader: $0) }
            #expect(try context.statusChange(&states, timeout: .milliseconds(0)) == .changed)
            #expect(states.allSatisfy { $0.eventState.contains(.empty) && $0.atr.isEmpty })
            for index in states.indices { states[index].acknowledge() }

            let card = try await VirtualCard(port: ports[0], identity: identity)
            let slot = try #require(states.firstIndex { $0.reader == card.readerName })
            #expect(try context.statusChange(&states, timeout: .milliseconds(5000)) == .changed)
            #expect(states[slot].eventState.contains(.present))
            #expect(states[slot].eventState.contains(.changed))
            #expect(states[slot].atr == card.atr)
            #expect(states[slot].eventCount > states[slot].currentEventCount)
            for index in states.indices { states[index].acknowledge() }

            let snapshot = try PCSCSnapshot.take()
            let reader = try #require(snapshot.first { $0.name == card.readerName })
            #expect(reader.cardPresent)
            #expect(reader.atr == card.atr)
            #expect(reader.stateWords.contains("present"))
            #expect(snapshot.filter(\.cardPresent).count == 1)

            try await card.remove()
            #expect(try context.statusChange(&states, timeout: .milliseconds(5000)) == .changed)
            #expect(states[slot].eventState.contains(.empty))
            #expect(states[slot].atr.isEmpty || !states[slot].eventState.contains(.present))
            try await pcscd.stop()
        }

        @Test("nothing changes: a finite wait times out")
        func timeout() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: try VPCDPorts.free(entries: 1))
            let context = try PCSCContext()
            defer { try? context.release() }
            var states = [ReaderState.plugAndPlay()] + (try context.readers().map { ReaderState(reader: $0) })
            _ = try context.statusChange(&states, timeout: .milliseconds(0))
            for index in states.indices { states[index].acknowledge() }
            let start = ContinuousClock.now
            #expect(try context.statusChange(&states, timeout: .milliseconds(300)) == .timedOut)
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            try await pcscd.stop()
        }

        @Test("SCardCancel from another thread ends an infinite wait (PnP reader included)")
        func cancelFromAnotherThread() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: try VPCDPorts.free(entries: 1))
            let context = try PCSCContext()
            defer { try? context.release() }
            let names = try context.readers()

            let waiterDone = Locked(false)
            let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PCSCContext.StatusChangeOutcome, any Error>) in
                let waiter = Thread {
                    defer { waiterDone.withLock { $0 = true } }
                    do {
                        var states = [ReaderState.plugAndPlay()] + names.map { ReaderState(reader: $0) }
                        _ = try context.statusChange(&states, timeout: .milliseconds(0))
                        for index in states.indices { states[index].acknowledge() }
                        continuation.resume(returning: try context.statusChange(&states, timeout: .infinite))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                waiter.start()
                // Cancel until the waiter has returned: SCardCancel is a no-op before the wait begins.
                Thread {
                    for _ in 0..<100 where !waiterDone.value {
                        usleep(50_000)
                        try? context.cancel()
                    }
                }.start()
            }
            #expect(outcome == .cancelled)
            try await pcscd.stop()
        }

        @Test("pcscd going away ends a wait with an error naming SCardGetStatusChange")
        func serviceStopsDuringWait() async throws {
            let folder = try TemporaryDirectory()
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: try VPCDPorts.free(entries: 1))
            let context = try PCSCContext()
            let names = try context.readers()
            let acknowledged = Locked(false)
            let result = Task.detached { () -> Result<PCSCContext.StatusChangeOutcome, PCSCError> in
                // A short-lived blocking wait for this test only; the monitor uses its own Thread.
                var states = [ReaderState.plugAndPlay()] + names.map { ReaderState(reader: $0) }
                do throws(PCSCError) {
                    _ = try context.statusChange(&states, timeout: .milliseconds(0))
                    for index in states.indices { states[index].acknowledge() }
                    acknowledged.withLock { $0 = true }
                    return .success(try context.statusChange(&states, timeout: .milliseconds(10_000)))
                } catch {
                    return .failure(error)
                }
            }
            // Kill pcscd only once the long wait is (about to be) under way: on a loaded machine the detached task
            // may start late, and a fixed 200 ms pause then killed pcscd before the wait it is meant to end.
            try await eventually("the first status change answered") { acknowledged.value }
            try await Task.sleep(for: .milliseconds(300))
            try await pcscd.kill()
            let outcome = await result.value
            let error = try #require(throws: PCSCError.self) { try outcome.get() }
            #expect(error.function == "SCardGetStatusChange")
            #expect([PCSCError.Code.noService, .serviceStopped, .commError, .invalidHandle].contains(error.code))
            try? context.release()
        }
    }
}
