import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The browsers' native-messaging framing on stdin and stdout: each message is a 32-bit length in native byte
/// order, then that many bytes of UTF-8 JSON. Chrome caps a host's message to the browser at 1 MB; the other
/// direction may be 4 GB by the browser's rules, but nothing this host serves needs more than `maximumRequest`,
/// so a longer one is refused rather than buffered.
enum NativeMessaging {
    static let maximumReply = 1024 * 1024
    static let maximumRequest = 1024 * 1024

    enum ReadResult {
        case message([UInt8])
        /// The browser closed the pipe (or the stream ended mid-message): time to exit.
        case closed
        /// A length past `maximumRequest`: the stream cannot be resynchronised, so the host answers and exits.
        case tooLarge(UInt32)
    }

    /// Blocking read of one message from `fd`.
    static func read(from fd: Int32 = STDIN_FILENO) -> ReadResult {
        guard let header = readExactly(4, from: fd) else { return .closed }
        let length = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        guard length <= maximumRequest else { return .tooLarge(length) }
        guard let body = readExactly(Int(length), from: fd) else { return .closed }
        return .message(body)
    }

    /// Writes one message; false when the browser has gone.
    @discardableResult
    static func write(_ body: [UInt8], to fd: Int32 = STDOUT_FILENO) -> Bool {
        precondition(body.count <= maximumReply, "replies are checked against the limit before they are written")
        var length = UInt32(body.count)
        let header = withUnsafeBytes(of: &length) { Array($0) }
        return writeAll(header + body, to: fd)
    }

    private static func readExactly(_ count: Int, from fd: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            filled += got
        }
        return buffer
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { return false }
            sent += wrote
        }
        return true
    }
}
