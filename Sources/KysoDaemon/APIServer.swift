import Foundation
import KysoAPI
import KysoCore
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The socket API: HTTP/1.1 over a Unix socket (SwiftNIO parses it), each connection tagged with its
/// caller's kernel credentials.
public final class APIServer: Service, Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let settings: DaemonSettings
    private let inventory: Inventory
    private let router: Router
    private let metrics: DaemonMetrics
    private let logger: Logger
    private let listening: Readiness.Step
    private let readiness: Readiness
    private let connections = ConnectionRegistry()
    private let signatureAudit: SignatureAuditWriter
    private let listener: APIListener

    public init(listener: APIListener, settings: DaemonSettings, inventory: Inventory, signer: Signer, accounts: AccountService, signatureAudit: SignatureAuditWriter,
                metrics: DaemonMetrics, readiness: Readiness, version: String, logger: Logger, remote: RemoteServices? = nil) {
        self.listener = listener
        self.settings = settings
        self.inventory = inventory
        self.metrics = metrics
        self.logger = logger
        self.signatureAudit = signatureAudit
        router = Router(inventory: inventory, signer: signer, accounts: accounts, signatureAudit: signatureAudit, access: settings.access,
                        metrics: metrics, version: version, remote: remote)
        listening = readiness.step("socket")
        self.readiness = readiness
    }

    public func run() async throws {
        let server = try await bind()
        listening.done()
        logger.info("listening", metadata: ["socket": "\(listener.origin)"])
        // Connections queue in the socket until the first inventory is in, so no client sees a half-empty list.
        let readiness = self.readiness
        await cancelWhenGracefulShutdown { await readiness.waitUntilDone("inventory") }
        if Task.isCancelled || Task.isShuttingDownGracefully {
            // Stopped before the first inventory: close the listener unused.
            try await server.executeThenClose { _ in }
            logger.info("API stopped")
            return
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await (peer, connection) in inbound {
                        // The connection's own event loop runs its task (see EventLoopTaskExecutor).
                        group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            await self.serve(connection, peer: peer)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop accepting, end event streams, close idle keep-alive connections; requests in flight finish.
            // The registry says "stopping" before the listener closes, so a connection accepted meanwhile is
            // refused by the initializer rather than wrapped and then dropped by the finished accept stream
            // (NIO stops the process when a wrapped connection is dropped unused).
            self.connections.shutDown()
            server.channel.close(promise: nil)
            self.inventory.finishSubscribers()
        }
        logger.info("API stopped")
    }

    private func bind() async throws -> NIOAsyncChannel<(PeerCredentials, Connection), Never> {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
        let headerTimeout = TimeAmount.nanoseconds(settings.headerTimeout.nanoseconds)
        let idleTimeout = TimeAmount.nanoseconds(settings.idleTimeout.nanoseconds)
        let connections = self.connections
        let metrics = self.metrics
        let logger = self.logger
        let onTimeout: @Sendable (RequestTimeoutHandler.Timeout) -> Void = { timeout in
            // Which side ends a connection matters when a client sees it closed: count and (debug) log every close of kysod's.
            metrics.connectionTimedOut(timeout)
            logger.debug("connection closed by kysod", metadata: ["reason": "\(timeout.rawValue)"])
        }
        let initializer: @Sendable (any Channel) -> EventLoopFuture<(PeerCredentials, Connection)> = { channel in
            PeerCredentials.read(from: channel).flatMapThrowing { peer in
                // Stopping: NIO closes a connection whose initializer fails; the client sees it closed at the door.
                guard !connections.isShuttingDown else { throw ChannelError.ioOnClosedChannel }
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(RequestTimeoutHandler(headerTimeout: headerTimeout, idleTimeout: idleTimeout, onTimeout: onTimeout))
                return (peer, try Connection(wrappingChannelSynchronously: channel))
            }
        }
        do {
            return try await bootstrap.bind(listener.descriptor, childChannelInitializer: initializer)
        } catch {
            throw APIListener.Failure(description: "cannot listen on the socket from \(listener.origin): \(error)")
        }
    }

    private func serve(_ connection: Connection, peer: PeerCredentials) async {
        let standing = ConnectionRegistry.Standing(settings.access.capabilities(of: peer))
        let quota = ConnectionQuota(total: settings.maxConnections, perUid: settings.maxConnectionsPerUid)
        guard let token = connections.open(connection.channel, uid: peer.uid, standing: standing, quota: quota) else {
            if connections.isShuttingDown {
                // Accepted just before the stop: closed unanswered, like a connection that came after the listener closed.
                try? await connection.executeThenClose { _, _ in }
                return
            }
            // Over the limit: answer the first request (an HTTP client ignores an answer to nothing), then close.
            try? await connection.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                guard case .request = try await Self.readRequest(&parts, peer: peer, limit: settings.maxBodyBytes) else { return }
                try await Self.write(.problem(Problems.tooManyConnections), to: outbound, keepAlive: false)
            }
            return
        }
        metrics.connectionCount(connections.count)
        defer {
            connections.close(token)
            metrics.connectionCount(connections.count)
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                while true {
                    var request: APIRequest
                    switch try await Self.readRequest(&parts, peer: peer, limit: settings.maxBodyBytes,
                                                      restoreLimit: standing == .admin ? Self.restoreBodyBytes : nil) {
                    case .closed: return
                    case .tooLarge:
                        try await Self.write(.problem(Problems.tooLarge), to: outbound, keepAlive: false)
                        return
                    case .notHTTP11:
                        try await Self.write(.body(status: .badRequest, contentType: "text/plain", bytes: []),
                                             to: outbound, keepAlive: false)
                        return
                    case .request(let complete): request = complete
                    }
                    connections.setBusy(token, true)
                    let started = ContinuousClock.now
                    let response = await router.respond(to: request)
                    // A signature's audit record was queued while answering; its write starts once the answer is out.
                    defer { signatureAudit.writeBehind() }
                    // The body may have carried a PIN: wipe it now that the request is answered.
                    SecretBytes.wipe(&request.body)
                    switch response {
                    case .events(let lastEventID):
                        try await streamEvents(after: lastEventID, connection: connection, outbound: outbound)
                        return
                    case .body(let status, _, _, _):
                        let keepAlive = request.keepAlive && !connections.isShuttingDown
                        try await Self.write(response, to: outbound, keepAlive: keepAlive)
                        metrics.request(route: router.routeName(request.path), status: Int(status.code), duration: ContinuousClock.now - started)
                        connections.setBusy(token, false)
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)", "pid": "\(peer.pid)"])
        }
    }

    private func streamEvents(after lastEventID: UInt64?, connection: Connection,
                              outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let subscription: (id: UInt64, events: AsyncStream<DaemonEvent>)
        do throws(Inventory.SubscribeError) {
            subscription = try inventory.subscribe(lastEventID: lastEventID)
        } catch {
            try await Self.write(.problem(Problems.tooManySubscribers), to: outbound, keepAlive: false)
            return
        }
        defer { inventory.unsubscribe(subscription.id) }
        // A stream is a long answer, not an idle connection.
        try? await connection.channel.pipeline.removeHandler(name: RequestTimeoutHandler.name).get()
        var headers = HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-store"), ("connection", "close")])
        headers.add(name: "x-accel-buffering", value: "no")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        let channel = connection.channel
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await channel.closeFuture.get() }
            group.addTask {
                let encoder = APIJSON.encoder()
                for await event in subscription.events {
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: try ServerSentEvents.frame(event, encoder: encoder)))))
                }
                // Finished by shutdown or because the client fell behind: end the chunked body properly.
                try await outbound.write(.end(nil))
            }
            // Whichever ends first (client gone, or the stream finished by shutdown or overflow) ends both.
            _ = try await group.next()
            channel.close(promise: nil)
            group.cancelAll()
            while (try? await group.next()) != nil {}
        }
    }

    enum ReadOutcome {
        case request(APIRequest)
        case tooLarge
        /// HTTP/1.0 (or a later major version the decoder let through): kysod speaks HTTP/1.1 only, as documented.
        case notHTTP11
        case closed
    }

    /// The body limit of `POST /v1/restore` for administrators: a backup carries the whole audit log.
    static let restoreBodyBytes = 64 * 1024 * 1024

    /// - Parameter restoreLimit: the limit of a restore request (administrators only), when above `limit`.
    private static func readRequest(_ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator,
                                     peer: PeerCredentials, limit: Int, restoreLimit: Int? = nil) async throws -> ReadOutcome {
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var limit = limit
        while let part = try await parts.next() {
            switch part {
            case .head(let value):
                guard value.version == .http1_1 else { return .notHTTP11 }
                head = value
                if let restoreLimit, value.method == .POST, Endpoint.label(of: value.uri) == Endpoint.restore.template {
                    limit = max(limit, restoreLimit)
                }
                if let length = value.headers.first(name: "content-length").flatMap(Int.init) {
                    guard length <= limit else { return .tooLarge }
                    // One allocation for the whole body: a body grown piece by piece leaves copies of a PIN behind in
                    // the memory of every smaller array it outgrew.
                    body.reserveCapacity(length)
                }
            case .body(let buffer):
                guard body.count + buffer.readableBytes <= limit else { return .tooLarge }
                buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            case .end:
                guard let head else { return .closed }
                return .request(APIRequest(method: head.method, path: head.uri, headers: head.headers, body: body, peer: peer,
                                            keepAlive: head.isKeepAlive))
            }
        }
        return .closed
    }

    private static func write(_ response: APIResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                              keepAlive: Bool) async throws {
        guard case .body(let status, let contentType, let bytes, let extra) = response else { return }
        var headers = HTTPHeaders([("content-type", contentType), ("content-length", String(bytes.count)), ("cache-control", "no-store")])
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in extra { headers.add(name: name, value: value) }
        // One write for the whole answer: each write is a round through the outbound writer.
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)),
            .body(.byteBuffer(ByteBuffer(bytes: bytes))),
            .end(nil),
        ])
    }
}

/// The text/event-stream framing of one event.
enum ServerSentEvents {
    static func frame(_ event: DaemonEvent, encoder: JSONEncoder) throws -> [UInt8] {
        // JSON without pretty-printing has no newlines, so one `data:` line carries it.
        let json = try encoder.encode(event)
        return Array("id: \(event.id)\nevent: \(event.type.rawValue)\ndata: ".utf8) + Array(json) + Array("\n\n".utf8)
    }
}
