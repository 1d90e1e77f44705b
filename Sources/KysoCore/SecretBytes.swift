#if canImport(Glibc)
import Glibc
#endif

/// A PIN or an account secret as bytes, with one owner: the bytes are wiped when the last reference goes, so a
/// secret lives exactly as long as the request that carries it. Never printed (`description` hides it).
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible {
    // Written only by init and deinit: shared read-only in between, so no lock is needed.
    private var storage: [UInt8]

    /// Takes the bytes; the caller drops its own copy (or wipes it with `SecretBytes.wipe`).
    public init(_ bytes: [UInt8]) { storage = bytes }

    /// Copies the UTF-8 of a string a decoder has just made, and wipes that string's storage. Only for such fresh
    /// strings (the JSON decoder's): a string literal's bytes are read-only and other copies would read zeros.
    public convenience init(decodedText text: inout String) {
        self.init(Array(text.utf8))
        Self.wipeFresh(&text)
    }

    deinit { Self.wipe(&storage) }

    /// The bytes, shared with this owner: do not keep them past its life, and do not mutate them (a copy would
    /// escape the wipe).
    public var bytes: [UInt8] { storage }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public var description: String { "SecretBytes(\(storage.count) bytes)" }

    /// Wipes bytes in place: the one way Kyso erases a PIN, a secret or a decrypted buffer. `explicit_bzero` is a
    /// call the optimiser may not drop, unlike a loop of stores into memory about to be freed.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            explicit_bzero(base, buffer.count)
        }
    }

    private static func wipeFresh(_ text: inout String) {
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            explicit_bzero(UnsafeMutableRawPointer(mutating: base), buffer.count)
        }
        text = ""
    }
}

extension SecretBytes: ExpressibleByStringLiteral {
    /// A client's own secret text (a PIN typed or given in a test); kysod never makes one from a literal.
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }
    public convenience init(stringLiteral text: String) { self.init(Array(text.utf8)) }
}

extension SecretBytes: Equatable {
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool { lhs.storage == rhs.storage }
}
