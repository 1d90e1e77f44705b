import Foundation
import KysoAPI
import KysoTestSupport
import Testing

@Suite("kysod event stream")
struct EventStreamTests {
    @Test("a new stream starts with a snapshot of every token; Last-Event-ID replays what was missed")
    func snapshotAndResume() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab(extraArguments: ["--module", "/nonexistent/libvendor.so"])
        var stream = client.events().makeAsyncIterator()
        let first = try #require(try await stream.next())
        #expect(first.event == "snapshot")
        let snapshot = try APIJSON.decoder().decode(DaemonEvent.self, from: Data(first.data.utf8))
        #expect(snapshot.data.tokens?.count == manifest.tokens.count)
        let lastID = try #require(first.id.flatMap(UInt64.init))
        #expect(lastID == snapshot.id)
        // Start-up published module.failed and one token.inserted per token; resuming from 0 (before this run)
        // replays them in order, numbered on from this run's start.
        var replay = client.events(lastEventID: 0).makeAsyncIterator()
        var replayed: [ServerSentEvent] = []
        while replayed.last?.id != String(lastID) { replayed.append(try #require(try await replay.next())) }
        let firstID = try #require(replayed.first?.id.flatMap(UInt64.init))
        #expect(firstID > 1_000_000_000_000_000, "ids are numbered from the run's start time")
        #expect(replayed.map { UInt64($0.id ?? "") } == (firstID...lastID).map { Optional($0) })
        #expect(replayed.filter { $0.event == "token.inserted" }.count == manifest.tokens.count)
        #expect(replayed.contains { $0.event == "module.failed" })
        try await daemon.stop()
    }

    @Test("a Last-Event-ID older than the buffer gets a fresh snapshot; a malformed one is refused")
    func resumeTooOld() async throws {
        let configuration = #"{"limits": {"eventBufferSize": 2}}"#
        let (daemon, manifest, client) = try await startDaemonOnLab(configuration: configuration)
        var stream = client.events(lastEventID: 0).makeAsyncIterator()
        let first = try #require(try await stream.next())
        #expect(first.event == "snapshot")
        #expect(try APIJSON.decoder().decode(DaemonEvent.self, from: Data(first.data.utf8)).data.tokens?.count == manifest.tokens.count)
        let bad = try await client.request(.GET, "/v1/events", headers: [("last-event-id", "yesterday")])
        #expect(bad.status == 400)
        try await daemon.stop()
    }

    @Test("subscribers are bounded; a client that goes away frees its place")
    func subscriberLimit() async throws {
        let (daemon, _, client) = try await startDaemonOnLab(configuration: #"{"limits": {"maxEventSubscribers": 2}}"#)
        let started = AsyncStream.makeStream(of: Void.self)
        let holders = (0..<2).map { _ in
            Task {
                for try await _ in client.events() { started.continuation.yield() }
            }
        }
        // Both holders must be streaming before the third asks; give up (and fail) rather than wait forever.
        let both = Task {
            var ready = started.stream.makeAsyncIterator()
            _ = await ready.next()
            _ = await ready.next()
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(20))
            both.cancel()
            started.continuation.finish()
        }
        await both.value
        timer.cancel()
        #expect(!both.isCancelled, "the two subscribers did not both get their snapshot")
        let refused = try await client.request(.GET, "/v1/events")
        #expect(refused.status == 503)
        #expect(try APIJSON.decoder().decode(ProblemDetails.self, from: Data(refused.body)).code == "too-many-subscribers")
        holders[0].cancel()
        // The daemon notices the closed connection and lets a new subscriber in.
        var admitted = false
        for _ in 0..<100 where !admitted {
            var stream = client.events().makeAsyncIterator()
            admitted = (try? await stream.next())?.event == "snapshot"
            if !admitted { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(admitted)
        holders[1].cancel()
        try await daemon.stop()
    }
}
