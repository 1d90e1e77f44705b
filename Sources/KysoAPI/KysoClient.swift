import Foundation
import NIOCore
public import NIOHTTP1
import NIOPosix

/// A client of kysod's API: HTTP/1.1 over the daemon's Unix socket, parsed by SwiftNIO.
public struct KysoClient: Sendable {
    public let socketPath: String
    /// Sent as `Accept-Language`: kysod words problem details, PIN states and certificate warnings in it (`vi`,
    /// `en`); codes and field names stay the same whatever it is.
    public let acceptLanguage: String?

    public init(socketPath: String, acceptLanguage: String? = nil) {
        self.socketPath = socketPath
        self.acceptLanguage = acceptLanguage
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// Decodes a success body, or throws the daemon's problem details.
        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            guard (200..<300).contains(status) else { throw problem() }
            return try APIJSON.decoder().decode(type, from: Data(body))
        }

        public func problem() -> ClientError {
            if let problem = try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(body)) {
                return problem.status == 403 ? .accessRefused(problem) : .problem(problem)
            }
            return .unexpectedResponse(status: status, body: String(decoding: body.prefix(500), as: UTF8.self))
        }
    }

    public enum ClientError: Error, CustomStringConvertible, Sendable {
        case daemonNotRunning(socket: String, reason: String)
        case socketPermissionDenied(socket: String)
        case accessRefused(ProblemDetails)
        case problem(ProblemDetails)
        case unexpectedResponse(status: Int, body: String)
        case connectionClosed

        public var description: String {
            switch self {
            case .daemonNotRunning(let socket, let reason):
                "kysod is not running (no daemon at \(socket): \(reason)). Start it with `systemctl start kysod.socket`, or pass --socket PATH / KYSO_SOCKET."
            case .socketPermissionDenied(let socket):
                "permission denied on \(socket): ask an administrator to add you to the group that owns it (default: kyso), then log in again."
            case .accessRefused(let problem):
                "kysod refused: \(problem.detail ?? problem.title) (\(problem.code))"
            case .problem(let problem):
                "kysod: \(problem.detail ?? problem.title) (\(problem.code), HTTP \(problem.status))"
            case .unexpectedResponse(let status, let body):
                "unexpected answer from kysod: HTTP \(status) \(body)"
            case .connectionClosed:
                "kysod closed the connection before answering"
            }
        }
    }

    /// One request, one response; the connection closes after it. A `GET` whose connection closed before any
    /// answer arrived is asked once more on a new connection (reading twice changes nothing), as HTTP clients do.
    public func request(_ method: HTTPMethod = .GET, _ path: String, body: [UInt8]? = nil,
                        headers extra: [(String, String)] = []) async throws -> Response {
        do {
            return try await exchange(method, path, body: body, headers: extra)
        } catch let error where method == .GET && Self.closedBeforeAnswer(error) {
            return try await exchange(method, path, body: body, headers: extra)
        }
    }

    private static func closedBeforeAnswer(_ error: any Error) -> Bool {
        if case ClientError.connectionClosed? = error as? ClientError { return true }
        if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .alreadyClosed { return true }
        return false
    }

    private func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8]?, headers extra: [(String, String)]) async throws -> Response {
        let channel = try await connect()
        let received = ResponseBox()
        do {
            try await channel.executeThenClose { inbound, outbound in
                // kysod may answer before the request is all written (413 for a body over its limit) and close; the
                // answer it sent is then still read, rather than the write's error reported.
                var writeError: (any Error)?
                do {
                    try await outbound.write(.head(Self.head(method, path, bodyLength: body?.count, extra: languageHeader + extra)))
                    if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                    try await outbound.write(.end(nil))
                } catch {
                    writeError = error
                }
                defer { if received.response == nil, let writeError { received.writeError = writeError } }
                var response: Response?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        response = Response(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: [])
                    case .body(var buffer):
                        response?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end:
                        received.response = response
                        return
                    }
                }
            }
        } catch where received.response != nil {
            // The server closed first (Connection: close); the answer is complete, so the close error is noise.
        }
        guard let response = received.response else { throw received.writeError ?? ClientError.connectionClosed }
        return response
    }

    /// Follows `GET /v1/events` and yields each Server-Sent Event as it arrives.
    public func events(lastEventID: UInt64? = nil) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                let ended = ResponseBox()
                do {
                    let channel = try await connect()
                    try await channel.executeThenClose { inbound, outbound in
                        var extra: [(String, String)] = [("accept", "text/event-stream")]
                        if let lastEventID { extra.append(("last-event-id", String(lastEventID))) }
                        try await outbound.write(.head(Self.head(.GET, "/v1/events", bodyLength: nil, extra: languageHeader + extra)))
                        try await outbound.write(.end(nil))
                        var parser = ServerSentEventParser()
                        var status = 0
                        var errorBody: [UInt8] = []
                        for try await part in inbound {
                            switch part {
                            case .head(let head):
                                status = Int(head.status.code)
                            case .body(var buffer):
                                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                                if status != 200 { errorBody += bytes; continue }
                                for event in parser.feed(bytes) { continuation.yield(event) }
                            case .end:
                                if status != 200 {
                                    throw Response(status: status, headers: [], body: errorBody).problem()
                                }
                                ended.response = Response(status: status, headers: [], body: [])
                                return
                            }
                        }
                    }
                    continuation.finish()
                } catch where ended.response != nil {
                    continuation.finish()  // the stream ended cleanly; closing raced with the server's close
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private var languageHeader: [(String, String)] { acceptLanguage.map { [("accept-language", $0)] } ?? [] }

    private static func head(_ method: HTTPMethod, _ path: String, bodyLength: Int?, extra: [(String, String)]) -> HTTPRequestHead {
        var headers = HTTPHeaders([("host", "kysod"), ("user-agent", "kyso")])
        if let bodyLength {
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(bodyLength))
        }
        for (name, value) in extra { headers.add(name: name, value: value) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }

    private func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == EACCES {
            throw ClientError.socketPermissionDenied(socket: socketPath)
        } catch let error as IOError {
            throw ClientError.daemonNotRunning(socket: socketPath, reason: String(cString: strerror(error.errnoCode)))
        }
    }
}

/// One Server-Sent Event as received.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String
    public var data: String
}

/// The text/event-stream framing (WHATWG HTML §9.2): fields per line, events separated by a blank line.
public struct ServerSentEventParser: Sendable {
    private var pending: [UInt8] = []
    private var current = ServerSentEvent(id: nil, event: "message", data: "")
    private var hasData = false

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [ServerSentEvent] {
        pending += bytes
        var events: [ServerSentEvent] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty {
                if hasData { events.append(current) }
                current = ServerSentEvent(id: current.id, event: "message", data: "")
                hasData = false
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }  // comment (keep-alive)
            let text = String(decoding: line, as: UTF8.self)
            let field: Substring
            var value: Substring
            if let colon = text.firstIndex(of: ":") {
                field = text[..<colon]
                value = text[text.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
            } else {
                field = Substring(text)
                value = ""
            }
            switch field {
            case "id": current.id = String(value)
            case "event": current.event = String(value)
            case "data":
                current.data += hasData ? "\n" + value : String(value)
                hasData = true
            default: break
            }
        }
        return events
    }
}

/// Carries a finished response out of `executeThenClose`, whose own close may still fail afterwards.
private final class ResponseBox: @unchecked Sendable {
    // Written once by the connection's task before it returns, read after it: no concurrent access.
    var response: KysoClient.Response?
    var writeError: (any Error)?
}
