import Foundation
import KysoAPI
import KysoCore
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// The HTTP and JSON edge of kysod as one function of bytes, for libFuzzer (Tools/fuzz/run.sh builds this with
/// `--sanitize=fuzzer --sanitize=address -DKYSO_FUZZ`) and, without KYSO_FUZZ, as a replayer of saved inputs.
///
/// The bytes go through what kysod runs on a connection's bytes before the router's handlers: NIO's HTTP/1.1 server
/// pipeline, configured as APIServer configures it (llhttp, error handling that answers 400), requests assembled
/// as APIServer.readRequest assembles them (body limit, keep-alive), the path split as Router splits it, the
/// Last-Event-ID header parsed as the event route parses it; then every request body, and the raw bytes too, are
/// decoded as each JSON body the API reads (APIJSON's decoder) and as a registration statement (the bind route's
/// canonical-statement parser). A crash, a trap or an ASan report is a finding.
enum KysoFuzz {
    /// kysod's default `limits.maxBodyBytes`.
    static let maxBodyBytes = 64 * 1024

    /// What one input reached, so the replayer can show that the seeds get past the HTTP parser into the decoders.
    struct Reached: OptionSet {
        let rawValue: UInt8
        static let signRequest = Reached(rawValue: 1)
        static let registrationRequest = Reached(rawValue: 2)
        static let secretRevealRequest = Reached(rawValue: 4)
        static let bindingRequest = Reached(rawValue: 8)
        static let statement = Reached(rawValue: 16)
        static let names: [(Reached, String)] = [
            (.signRequest, "SignRequest"), (.registrationRequest, "RegistrationRequest"),
            (.secretRevealRequest, "SecretRevealRequest"), (.bindingRequest, "BindingCreateRequest"), (.statement, "statement"),
        ]
    }

    /// Returns the number of complete requests and which decoders accepted something.
    @discardableResult
    static func run(_ bytes: [UInt8]) -> (requests: Int, reached: Reached) {
        var reached = decodeBodies(bytes)
        let requests = httpRequests(bytes)
        for request in requests {
            let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
            _ = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if let header = request.headers.first(name: "last-event-id") { _ = UInt64(header) }
            _ = request.isKeepAlive
            reached.formUnion(decodeBodies(request.body))
        }
        return (requests.count, reached)
    }

    struct Request {
        var uri: String
        var headers: HTTPHeaders
        var isKeepAlive: Bool
        var body: [UInt8]
    }

    /// The complete requests NIO's server pipeline makes of `bytes`.
    static func httpRequests(_ bytes: [UInt8]) -> [Request] {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        do {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        } catch {
            // A parse error: the pipeline's error handler answered 400 and closed; the parts before it still count.
        }
        var requests: [Request] = []
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var tooLarge = false
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let value):
                head = value
                body = []
                tooLarge = value.headers.first(name: "content-length").flatMap(Int.init).map { $0 > maxBodyBytes } ?? false
            case .body(var buffer):
                if body.count + buffer.readableBytes > maxBodyBytes { tooLarge = true } else {
                    body += buffer.readBytes(length: buffer.readableBytes) ?? []
                }
            case .end:
                if let head, !tooLarge {
                    requests.append(Request(uri: head.uri, headers: head.headers, isKeepAlive: head.isKeepAlive, body: body))
                }
                // Answer as APIServer does, so NIO's pipelining handler lets the next pipelined request through.
                let keepAlive = head?.isKeepAlive ?? false
                head = nil
                var headers = HTTPHeaders([("content-length", "0")])
                headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
                _ = try? channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
                _ = try? channel.writeOutbound(HTTPServerResponsePart.end(nil))
                while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
            }
        }
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        return requests
    }

    /// Every JSON body the API decodes, and the statement parser the bind route runs on `statement`.
    static func decodeBodies(_ body: [UInt8]) -> Reached {
        let data = Data(body)
        let decoder = APIJSON.decoder()
        var reached: Reached = []
        if (try? decoder.decode(SignRequest.self, from: data)) != nil { reached.insert(.signRequest) }
        if (try? decoder.decode(RegistrationRequest.self, from: data)) != nil { reached.insert(.registrationRequest) }
        if (try? decoder.decode(SecretRevealRequest.self, from: data)) != nil { reached.insert(.secretRevealRequest) }
        if let bind = try? decoder.decode(BindingCreateRequest.self, from: data) {
            reached.insert(.bindingRequest)
            if (try? BindingRequest(statementBytes: Array(bind.statement), signature: Array(bind.signature))) != nil {
                reached.insert(.statement)
            }
        }
        if (try? RegistrationStatement(canonicalBytes: body)) != nil { reached.insert(.statement) }
        return reached
    }
}

#if KYSO_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    KysoFuzz.run(start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}
#else
/// Without KYSO_FUZZ: runs each file named on the command line through the same function (a crash reproducer, and
/// the seed corpus check the test suite runs).
@main
struct KysoFuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let (requests, reached) = KysoFuzz.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            let decoded = KysoFuzz.Reached.names.filter { reached.contains($0.0) }.map(\.1)
            print("\(URL(fileURLWithPath: path).lastPathComponent): \(requests) requests; decoded \(decoded.isEmpty ? "nothing" : decoded.joined(separator: ", "))")
        }
    }
}
#endif
