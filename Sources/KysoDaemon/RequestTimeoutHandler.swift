import NIOCore
import NIOHTTP1

/// Closes a connection whose request does not arrive in time (a slow-loris client trickling its head, or one that
/// announces a body and never finishes it), or that stays idle between requests too long. The header timeout runs
/// until the request's end, body included: a body is at most maxBodyBytes over a local socket, so it never needs
/// longer, and a timer stopped at the head let a client hold a connection slot forever (an unanswered request is
/// not idle, so the idle timeout never came). Removed when a connection
/// turns into an event stream.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    static let name = "kyso-request-timeout"
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Why kysod closed a connection.
    enum Timeout: String, Sendable {
        /// The request (head and body) did not arrive within the header timeout.
        case request
        /// No new request within the idle timeout after an answer.
        case idle
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let onTimeout: @Sendable (Timeout) -> Void
    private var timer: Scheduled<Void>?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, onTimeout: @escaping @Sendable (Timeout) -> Void = { _ in }) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context: context, after: headerTimeout, .request)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // The head is in; its body gets `headerTimeout` more.
            arm(context: context, after: headerTimeout, .request)
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // Answer sent: the client has `idleTimeout` to start the next request, then `headerTimeout` to finish its head.
            arm(context: context, after: idleTimeout, .idle)
        }
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext, after delay: TimeAmount, _ reason: Timeout) {
        timer?.cancel()
        let channel = context.channel
        let onTimeout = self.onTimeout
        timer = context.eventLoop.scheduleTask(in: delay) {
            onTimeout(reason)
            channel.close(promise: nil)
        }
    }
}
