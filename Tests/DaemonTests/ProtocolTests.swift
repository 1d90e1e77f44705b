import Foundation
import KysoAPI
import KysoTestSupport
import NIOCore
import NIOHTTP1
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("kysod under bad and heavy traffic")
struct ProtocolTests {
    @Test("bodies over 64 KiB are refused with 413; unknown paths get 404 and wrong methods 405, as problem details")
    func limitsAndErrors() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let big = [UInt8](repeating: 0x41, count: 70 * 1024)
        // kysod answers 413 as soon as the head announces the body, and closes; a client still writing the body may
        // see the close (EPIPE) before it reads that answer, so ask again then (nothing is changed by this POST).
        var answer: KysoClient.Response?
        for attempt in 1...3 where answer == nil {
            do {
                answer = try await client.request(.POST, "/v1/status", body: big)
            } catch let error as ChannelError where attempt < 3 {
                print("protocol: the 413 was lost to the close on attempt \(attempt): \(error)")
            }
        }
        let tooLarge = try #require(answer)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("content-type") == "application/problem+json")
        let missing = try await client.request(.GET, "/v1/nothing")
        #expect(missing.status == 404)
        let wrongMethod = try await client.request(.DELETE, "/v1/tokens")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("allow") == "GET")
        #expect(try await client.request(.GET, "/v1/status").status == 200)
        try await daemon.stop()
    }

    @Test("malformed HTTP gets 400 and the connection closes; the daemon keeps serving")
    func malformed() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let answer = try RawSocket.exchange(daemon.socketPath, "NOT HTTP AT ALL\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 400"))
        let nested = try RawSocket.exchange(daemon.socketPath, "GET /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        #expect(nested.hasPrefix("HTTP/1.1 400"))
        // Only HTTP/1.1 is spoken (openapi.yaml): an HTTP/1.0 request got 200 before, now one bare 400 and the close.
        let old = try RawSocket.exchange(daemon.socketPath, "GET /v1/status HTTP/1.0\r\nHost: x\r\n\r\n")
        #expect(old.hasPrefix("HTTP/1.1 400"), "\(old)")
        #expect(old.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer, not \(old)")
        #expect(!old.contains("{"), "a bare 400, no body: \(old)")
        // HTTP/2.0 is refused by NIO's decoder itself (two bare 400s, as its error handler answers each parse error).
        let newer = try RawSocket.exchange(daemon.socketPath, "GET /v1/status HTTP/2.0\r\nHost: x\r\n\r\n")
        #expect(newer.hasPrefix("HTTP/1.1 400") && !newer.contains("{"), "\(newer)")
        #expect(try await client.request(.GET, "/v1/status").status == 200)
        try await daemon.stop()
    }

    @Test("a client that sends no request head is cut off after the header timeout")
    func headerTimeout() async throws {
        let (daemon, _, _) = try await startDaemonOnLab(configuration: #"{"limits": {"headerTimeoutSeconds": 0.5}}"#)
        let started = ContinuousClock.now
        let answer = try RawSocket.exchange(daemon.socketPath, "GET /v1/status HTTP/1.1\r\n", readTimeout: 5)
        let waited = ContinuousClock.now - started
        #expect(answer.isEmpty)
        #expect(waited < .seconds(4), "closed after \(waited)")
        try await daemon.stop()
    }

    @Test("100 concurrent clients all get the inventory")
    func concurrentClients() async throws {
        let (daemon, manifest, client) = try await startDaemonOnLab()
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask { try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.count }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts == Array(repeating: manifest.tokens.count, count: 100))
        // Many reads in a row stay as cheap as the first (a closure once grew one thunk deeper per read).
        for _ in 0..<1500 { _ = try await client.request(.GET, "/v1/tokens") }
        #expect(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.count == manifest.tokens.count)
        #expect(daemon.isRunning)
        try await daemon.stop()
    }

    @Test("connections beyond the limit are refused with 503 while the others are served")
    func connectionLimit() async throws {
        let (daemon, _, client) = try await startDaemonOnLab(configuration: #"{"limits": {"maxConnections": 2}}"#)
        let held = try (0..<2).map { _ in try RawSocket(daemon.socketPath) }
        // kysod counts a connection once it has taken it in, which a loaded machine delays: ask until it has (10 s).
        var refused = try await client.request(.GET, "/v1/status")
        for _ in 0..<100 where refused.status == 200 {
            try await Task.sleep(for: .milliseconds(100))
            refused = try await client.request(.GET, "/v1/status")
        }
        #expect(refused.status == 503)
        held.forEach { $0.close() }
        var served = false
        for _ in 0..<50 where !served {
            served = (try? await client.request(.GET, "/v1/status").status) == 200
            if !served { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(served)
        try await daemon.stop()
    }

    @Test("SIGTERM finishes what is in flight, ends event streams, says STOPPING=1 and exits 0")
    func gracefulShutdown() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let subscribed = AsyncStream.makeStream(of: Void.self)
        let stream = Task {
            var count = 0
            for try await _ in client.events() {
                count += 1
                subscribed.continuation.yield()
            }
            return count
        }
        var first = subscribed.stream.makeAsyncIterator()
        _ = await first.next()
        let requests = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { (try? await client.request(.GET, "/v1/tokens").status) ?? 0 } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        kill(daemon.pid, SIGTERM)
        let statuses = try await requests.value
        // Each request was either answered in full or refused at the door once the socket closed.
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 0 })
        #expect(try await stream.value >= 1)
        #expect(try await daemon.stop() == 0)
        #expect(daemon.notifications().contains { $0.contains("STOPPING=1") })
        #expect(daemon.log().contains("modules finalised"))
    }
}
