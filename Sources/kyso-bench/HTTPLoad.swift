import NIOCore
import NIOHTTP1
import NIOPosix

/// A closed-loop HTTP/1.1 load generator over kysod's Unix socket: `connections` keep-alive connections, each with
/// exactly one request in flight (send, wait for the whole response, send the next), all on one event-loop
/// thread so the daemon keeps the other core. Latency is per request, from the write to the response's end.
/// Only requests sent after the warm-up and answered before the window closes count.
struct HTTPLoad: Sendable {
    struct Outcome: Sendable {
        var latencies: [Double]  // seconds
        var completed: Int       // answered inside the window
        var failures: Int        // non-2xx answers or dropped connections
        var windowSeconds: Double
        /// Every answer, warm-up included (to divide the daemon's CPU time by).
        var answered = 0
        var requestsPerSecond: Double { Double(completed) / windowSeconds }
        var p50: Double { Stats.percentile(latencies, 0.50) }
        var p99: Double { Stats.percentile(latencies, 0.99) }
    }

    let socketPath: String
    let group: MultiThreadedEventLoopGroup

    /// One request template: method, path and an optional JSON body.
    struct Request: Sendable {
        var method: HTTPMethod = .GET
        var path: String
        var body: [UInt8]? = nil
    }

    /// Runs `requests[i % requests.count]` on connection i for `seconds` after `warmUp` seconds, or until
    /// `totalRequests` (split evenly) are answered when given.
    func run(_ requests: [Request], connections: Int, warmUp: Double, seconds: Double,
             totalRequests: Int? = nil) async throws -> Outcome {
        let start = Clock.nanoseconds()
        let from = start + UInt64(warmUp * 1e9)
        let until = totalRequests == nil ? from + UInt64(seconds * 1e9) : UInt64.max
        let quota = totalRequests.map { ($0 + connections - 1) / connections }
        var futures: [EventLoopFuture<ConnectionOutcome>] = []
        for index in 0..<connections {
            let loop = group.next()
            let promise = loop.makePromise(of: ConnectionOutcome.self)
            let request = requests[index % requests.count]
            var headers = HTTPHeaders([("host", "kysod"), ("user-agent", "kyso-bench")])
            if let body = request.body {
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(body.count))
            }
            let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)
            let body = request.body.map { ByteBuffer(bytes: $0) }
            let connect = ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            LoadHandler(head: head, body: body, from: from, until: until, quota: quota, done: promise))
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
            connect.whenFailure { promise.fail($0) }
            futures.append(promise.futureResult)
        }
        var outcome = Outcome(latencies: [], completed: 0, failures: 0, windowSeconds: seconds)
        var lastAnswer: UInt64 = 0
        for future in futures {
            let connection = try await future.get()
            outcome.latencies += connection.latencies.map { Double($0) / 1e9 }
            outcome.completed += connection.completed
            outcome.failures += connection.failures
            outcome.answered += connection.answered
            lastAnswer = max(lastAnswer, connection.lastAnswer)
        }
        if totalRequests != nil { outcome.windowSeconds = Double(lastAnswer - from) / 1e9 }
        return outcome
    }
}

struct ConnectionOutcome: Sendable {
    var latencies: [UInt64]
    var completed: Int
    var failures: Int
    var lastAnswer: UInt64
    var answered = 0
}

/// One connection's loop; lives on its event loop only.
private final class LoadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: ByteBuffer?
    private let from: UInt64
    private let until: UInt64
    private var remaining: Int?
    private let done: EventLoopPromise<ConnectionOutcome>
    private var sentAt: UInt64 = 0
    private var status: UInt = 0
    private var outcome = ConnectionOutcome(latencies: [], completed: 0, failures: 0, lastAnswer: 0)
    private var finished = false

    init(head: HTTPRequestHead, body: ByteBuffer?, from: UInt64, until: UInt64, quota: Int?, done: EventLoopPromise<ConnectionOutcome>) {
        self.head = head
        self.body = body
        self.from = from
        self.until = until
        remaining = quota
        self.done = done
        outcome.latencies.reserveCapacity(1 << 16)
    }

    func channelActive(context: ChannelHandlerContext) { send(context) }

    private func send(_ context: ChannelHandlerContext) {
        sentAt = Clock.nanoseconds()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response): status = response.status.code
        case .body: break
        case .end:
            let now = Clock.nanoseconds()
            outcome.answered += 1
            // With a quota every answer counts; with a window, only requests sent after the warm-up and answered inside it.
            let counted = remaining != nil ? sentAt >= from : (sentAt >= from && now <= until)
            if counted {
                outcome.latencies.append(now - sentAt)
                outcome.completed += 1
                outcome.lastAnswer = now
                if !(200..<300).contains(status) { outcome.failures += 1 }
            }
            if remaining != nil && sentAt >= from { remaining! -= 1 }
            let more = remaining.map { $0 > 0 } ?? (now < until)
            if more { send(context) } else { finish(context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            outcome.failures += 1
            finished = true
            done.succeed(outcome)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    private func finish(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.succeed(outcome)
        context.close(promise: nil)
    }
}
