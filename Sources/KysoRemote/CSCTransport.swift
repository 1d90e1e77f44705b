import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS POSTs to the service through AsyncHTTPClient: the system trust store plus an optional CA file, a
/// timeout on every call, and bounded retries only for calls the caller marks safe to repeat.
struct CSCTransport: Sendable {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// Larger answers are refused: a credential's chain is a few kilobytes.
    static let maximumAnswer = 1 << 20

    /// Shuts the HTTP client down when the last owner goes, if `shutdown()` was not called: AsyncHTTPClient stops a
    /// debug build whose client is released while running, and a daemon reconfiguring a service simply drops it.
    final class Owner: Sendable {
        let client: HTTPClient
        init(_ client: HTTPClient) { self.client = client }
        deinit { _ = client.shutdown() as EventLoopFuture<Void> }
    }

    let owner: Owner
    var client: HTTPClient { owner.client }
    let configuration: CSCServiceConfiguration

    init(configuration: CSCServiceConfiguration) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.extraTrustRootsFile {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw CSCError.tlsFailure(method: "configuration", reason: "CA file \(file) cannot be read")
            }
            tls.additionalTrustRoots = [.file(file)]
        }
        var http = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.requestTimeout)))
        // Fail a call at once when the service is unreachable; our own loop decides whether to try again.
        http.connectionPool.retryConnectionEstablishment = false
        owner = Owner(HTTPClient(eventLoopGroupProvider: .singleton, configuration: http))
        self.configuration = configuration
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// One call: `body` is wiped once the answer is in (it may hold a PIN). `repeatable` allows retries.
    func post(
        _ method: String, url: String, body: [UInt8], contentType: String = "application/json",
        authorization: String?, repeatable: Bool
    ) async throws -> Answer {
        let attempts = repeatable ? 1 + max(0, configuration.retries) : 1
        var lastError = CSCError.unreachable(method: method, reason: "not attempted")
        for attempt in 1...attempts {
            if attempt > 1 { try await sleep(configuration.retryDelay) }
            do {
                let answer = try await once(method, url: url, body: body, contentType: contentType, authorization: authorization)
                if repeatable, [502, 503, 504].contains(answer.status), attempt < attempts { continue }
                return answer
            } catch let error as CSCError {
                guard case .unreachable = error, repeatable else { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    private func once(
        _ method: String, url: String, body: [UInt8], contentType: String, authorization: String?
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        var buffer = ByteBuffer(bytes: body)
        request.body = .bytes(buffer)
        defer {
            request.body = nil
            Self.wipe(&buffer)
        }
        do {
            let response = try await client.execute(request, timeout: .init(configuration.requestTimeout))
            var collected = try await response.body.collect(upTo: Self.maximumAnswer)
            return Answer(status: Int(response.status.code), body: collected.readBytes(length: collected.readableBytes) ?? [])
        } catch {
            throw Self.classify(error, method: method)
        }
    }

    /// Overwrites the request bytes in place. The buffer's storage is shared with the copy AsyncHTTPClient sent,
    /// which has finished with it by now; writing through the read pointer wipes that shared storage instead of
    /// making a private copy (which a mutating ByteBuffer call would do).
    private static func wipe(_ buffer: inout ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            if let base = bytes.baseAddress { explicit_bzero(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        }
    }

    private func sleep(_ duration: Duration) async throws {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw CSCError.cancelled
        }
    }

    static func classify(_ error: any Error, method: String) -> CSCError {
        if let error = error as? CSCError { return error }
        if error is CancellationError { return .cancelled }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return .timedOut(method: method)
            case .cancelled:
                return .cancelled
            default:
                return .unreachable(method: method, reason: "\(error)")
            }
        }
        if error is NIOTooManyBytesError {
            return .malformedResponse(method: method, reason: "answer larger than \(maximumAnswer) bytes")
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return .tlsFailure(method: method, reason: "\(error)")
        }
        return .unreachable(method: method, reason: "\(error)")
    }
}
