import CPCSCLite
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An `SCARDCONTEXT`: one connection to pcscd.
///
/// pcsc-lite wants one context per thread: use a context from the thread that created it, except
/// ``cancel()``, which exists to be called from another thread. Release it with ``release()``
/// (it is also released when the last reference goes away).
public final class PCSCContext: Sendable {
    /// The raw `SCARDCONTEXT` handle.
    public let handle: Int
    private let released = Mutex(false)

    /// Where the context's resources live (`SCARD_SCOPE_*`); pcsc-lite treats them alike.
    public enum Scope: Sendable {
        case user, system

        var dword: DWORD { self == .user ? DWORD(SCARD_SCOPE_USER) : DWORD(SCARD_SCOPE_SYSTEM) }
    }

    /// Connects to pcscd. Wraps `SCardEstablishContext`; does not block beyond one round trip to
    /// pcscd's socket. Throws ``PCSCError/Code/noService`` when pcscd is not running.
    ///
    /// The socket is `/run/pcscd/pcscd.comm`, or `PCSCLITE_CSOCK_NAME` from the environment when it
    /// is set (libpcsclite reads it once per process, at the first call).
    public init(scope: Scope = .system) throws(PCSCError) {
        var context: SCARDCONTEXT = 0
        try check(SCardEstablishContext(scope.dword, nil, nil, &context), "SCardEstablishContext")
        handle = Int(context)
    }

    deinit {
        let wasReleased = released.withLock { $0 }
        if !wasReleased { _ = SCardReleaseContext(SCARDCONTEXT(handle)) }
    }

    /// Ends the connection. Wraps `SCardReleaseContext`; does not block. Calling it twice is a no-op.
    public func release() throws(PCSCError) {
        let wasReleased = released.withLock { flag in
            defer { flag = true }
            return flag
        }
        guard !wasReleased else { return }
        try check(SCardReleaseContext(SCARDCONTEXT(handle)), "SCardReleaseContext")
    }

    /// Whether pcscd still knows this context. Wraps `SCardIsValidContext`; does not block.
    /// A context outlives a pcscd restart only as an invalid handle.
    public var isValid: Bool {
        SCardIsValidContext(SCARDCONTEXT(handle)) == SCARD_S_SUCCESS
    }

    /// The names of the connected readers, in pcscd's order; empty when there are none.
    ///
    /// Wraps `SCardListReaders` with the two-call pattern (size, then names), retrying when a reader
    /// appears between the calls. Does not block beyond round trips to pcscd.
    /// `SCARD_E_NO_READERS_AVAILABLE` gives an empty list, not an error.
    public func readers() throws(PCSCError) -> [String] {
        for _ in 0..<4 {
            var length: DWORD = 0
            let sizing = SCardListReaders(SCARDCONTEXT(handle), nil, nil, &length)
            if sizing == SCARD_E_NO_READERS_AVAILABLE { return [] }
            try check(sizing, "SCardListReaders")
            var buffer = [CChar](repeating: 0, count: Int(length))
            let listing = SCardListReaders(SCARDCONTEXT(handle), nil, &buffer, &length)
            if listing == SCARD_E_NO_READERS_AVAILABLE { return [] }
            if listing == SCARD_E_INSUFFICIENT_BUFFER { continue }
            try check(listing, "SCardListReaders")
            return Self.splitMultiString(buffer.prefix(Int(length)))
        }
        throw PCSCError(code: .insufficientBuffer, function: "SCardListReaders")
    }

    /// How long ``statusChange(_:timeout:)`` may wait.
    public enum Timeout: Sendable, Hashable {
        /// `INFINITE`: until a state changes or ``PCSCContext/cancel()`` is called.
        case infinite
        /// At most this many milliseconds; 0 returns the current states at once.
        case milliseconds(UInt32)

        var dword: DWORD {
            switch self {
            case .infinite: DWORD(INFINITE)
            case .milliseconds(let ms): DWORD(min(ms, UInt32(INFINITE) - 1))
            }
        }
    }

    /// Why ``statusChange(_:timeout:)`` returned.
    public enum StatusChangeOutcome: Sendable, Hashable {
        /// At least one reader's state differs from its current state; see the event states.
        case changed
        /// `SCARD_E_TIMEOUT`: nothing changed in time (event states are still filled in).
        case timedOut
        /// `SCARD_E_CANCELLED`: ``PCSCContext/cancel()`` ended the wait.
        case cancelled
    }

    /// Waits until one of `states` differs from its current state, then fills in every entry's
    /// event state, event count and ATR.
    ///
    /// Wraps `SCardGetStatusChange`. **Blocks** the calling thread up to `timeout` (forever with
    /// `.infinite`): call it only from a dedicated thread, never from Swift's cooperative pool.
    /// Include ``ReaderState/plugAndPlay()`` to wake up when readers come and go.
    /// Throws e.g. ``PCSCError/Code/unknownReader`` when a listed reader is gone, and
    /// ``PCSCError/Code/serviceStopped``/``PCSCError/Code/noService`` when pcscd goes away.
    public func statusChange(_ states: inout [ReaderState], timeout: Timeout) throws(PCSCError) -> StatusChangeOutcome {
        // pcsc-lite reads szReader during the call only; strdup keeps the C strings alive that long.
        let names = states.map { strdup($0.reader) }
        defer { names.forEach { free($0) } }
        var raw = states.indices.map { index in
            var entry = SCARD_READERSTATE()
            entry.szReader = UnsafePointer(names[index])
            entry.dwCurrentState = DWORD(states[index].currentState.rawValue)
                | DWORD(states[index].currentEventCount) << 16
            return entry
        }
        let returnValue = SCardGetStatusChange(SCARDCONTEXT(handle), timeout.dword, &raw, DWORD(raw.count))
        let outcome: StatusChangeOutcome
        switch returnValue {
        case SCARD_E_TIMEOUT: outcome = .timedOut
        case SCARD_E_CANCELLED: return .cancelled
        default:
            try check(returnValue, "SCardGetStatusChange")
            outcome = .changed
        }
        for index in states.indices {
            let entry = raw[index]
            states[index].eventState = ReaderStateFlags(rawValue: UInt32(truncatingIfNeeded: entry.dwEventState))
            states[index].eventCount = UInt16(truncatingIfNeeded: entry.dwEventState >> 16)
            let count = min(Int(entry.cbAtr), Int(MAX_ATR_SIZE))
            states[index].atr = withUnsafeBytes(of: entry.rgbAtr) { Array($0.prefix(count)) }
        }
        return outcome
    }

    /// Ends a ``statusChange(_:timeout:)`` blocked on this context, which then returns
    /// ``StatusChangeOutcome/cancelled``. Wraps `SCardCancel`; does not block, and is safe to call
    /// from any thread.
    public func cancel() throws(PCSCError) {
        try check(SCardCancel(SCARDCONTEXT(handle)), "SCardCancel")
    }

    /// Splits a `"a\0b\0\0"` multi-string into its parts.
    static func splitMultiString(_ bytes: ArraySlice<CChar>) -> [String] {
        bytes.split(separator: 0, omittingEmptySubsequences: true).map { part in
            String(decoding: part.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
