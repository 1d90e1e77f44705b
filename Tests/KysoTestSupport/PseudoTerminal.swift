public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal: kyso gets the follower side as its terminal, the test reads what it writes.
public final class PseudoTerminal: @unchecked Sendable {
    private let leader: CInt
    public let follower: FileHandle

    // Glibc's module map leaves out the XSI pseudo-terminal calls; they are plain C functions in libc.
    private typealias OpenCall = @convention(c) (CInt) -> CInt
    private typealias NameCall = @convention(c) (CInt) -> UnsafeMutablePointer<CChar>?
    private static func libc<T>(_ name: String, as type: T.Type) throws -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw TestFailure("no \(name) in libc") }
        return unsafeBitCast(symbol, to: type)
    }

    public init() throws {
        let openLeader = try Self.libc("posix_openpt", as: OpenCall.self)
        let grant = try Self.libc("grantpt", as: OpenCall.self)
        let unlock = try Self.libc("unlockpt", as: OpenCall.self)
        let followerName = try Self.libc("ptsname", as: NameCall.self)
        leader = openLeader(O_RDWR | O_NOCTTY)
        guard leader >= 0, grant(leader) == 0, unlock(leader) == 0, let name = followerName(leader) else {
            throw TestFailure("no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let descriptor = open(name, O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else { throw TestFailure("cannot open \(String(cString: name))") }
        follower = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Whether the terminal echoes input (ECHO in its local modes).
    public var echoes: Bool {
        var modes = termios()
        tcgetattr(follower.fileDescriptor, &modes)
        return modes.c_lflag & tcflag_t(ECHO) != 0
    }

    /// What the program wrote, once it contains `text`.
    public func read(until text: String, timeout: Duration) async throws -> String {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: leader, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 50) > 0 {
                var buffer = [UInt8](repeating: 0, count: 1024)
                let count = Glibc.read(leader, &buffer, buffer.count)
                if count > 0 { bytes += buffer.prefix(count) }
            }
            let seen = String(decoding: bytes, as: UTF8.self)
            if seen.contains(text) { return seen }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("no “\(text)” within \(timeout); got: \(String(decoding: bytes, as: UTF8.self))")
    }

    /// Types `text` as a person would at the terminal.
    public func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(leader, $0.baseAddress, $0.count) }
    }

        deinit { close(leader) }
}
