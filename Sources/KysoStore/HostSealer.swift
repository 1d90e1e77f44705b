public import Crypto
public import KysoCore
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encrypts account secrets with a 256-bit AES-GCM key kept in the state directory (`host.key`, mode 0600),
/// for tokens whose key cannot decrypt. Whoever can read the daemon's state directory can read these secrets: the
/// weaker of the two sealings, so token sealing is preferred where the token allows it.
public struct HostSealer: Sendable {
    public static let keyFileName = "host.key"
    static let keyByteCount = 32

    private let key: SymmetricKey

    /// Uses `key` directly (tests).
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Loads `stateDirectory/host.key`, creating it on first use. The file is written to a temporary name, synced
    /// and linked into place, so a crash never leaves a short key and two daemons starting together agree on one.
    /// - Throws: `hostKeyUnusable` when the file has the wrong size, belongs to another user or is readable by group or others.
    public init(stateDirectory: URL) throws(SealingError) {
        let path = stateDirectory.appendingPathComponent(Self.keyFileName).path
        if let bytes = try Self.readKey(path) {
            key = SymmetricKey(data: bytes)
            return
        }
        try Self.createKey(path)
        guard let bytes = try Self.readKey(path) else {
            throw SealingError(.hostKeyUnusable, "\(path) vanished right after it was created")
        }
        key = SymmetricKey(data: bytes)
    }

    /// Nonce, ciphertext and tag in one (AES-GCM combined form); `context` is authenticated, not stored.
    public func seal(_ plaintext: some DataProtocol, context: [UInt8]) throws(SealingError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: context)
            guard let combined = box.combined else { throw SealingError(.cryptoFailure, "AES-GCM gave no combined form") }
            return Array(combined)
        } catch let error as SealingError {
            throw error
        } catch {
            throw SealingError(.cryptoFailure, "AES-GCM sealing failed: \(error)")
        }
    }

    /// Opens what `seal` produced with the same `context`.
    public func open(_ sealed: [UInt8], context: [UInt8]) throws(SealingError) -> [UInt8] {
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: context))
        } catch {
            throw SealingError(.cannotOpen, "the sealed secret does not open with the host key (tampered or moved)")
        }
    }

    /// Seals an account secret for the store.
    public func sealSecret(
        _ plaintext: some DataProtocol, userId: UserID, kind: SecretKind, createdAt: Date
    ) throws(SealingError) -> SealedSecret {
        SealedSecret(
            userId: userId, kind: kind, sealing: .host,
            ciphertext: try seal(plaintext, context: SealedSecret.context(userId: userId, kind: kind)), createdAt: createdAt)
    }

    /// Opens a stored host-sealed secret.
    public func openSecret(_ secret: SealedSecret) throws(SealingError) -> [UInt8] {
        guard secret.sealing == .host else {
            throw SealingError(.cannotOpen, "this secret is sealed to a token; only the token can open it")
        }
        return try open(secret.ciphertext, context: SealedSecret.context(userId: secret.userId, kind: secret.kind))
    }

    // MARK: - Key file

    private static func readKey(_ path: String) throws(SealingError) -> [UInt8]? {
        let descriptor = openFile(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw SealingError(.hostKeyUnusable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SealingError(.hostKeyUnusable, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_uid == geteuid() else {
            throw SealingError(
                .hostKeyUnusable,
                "\(path) belongs to \(SafeDirectory.userName(status.st_uid)), not to kysod's user \(SafeDirectory.userName(geteuid())): "
                    + "its owner can read every secret sealed with it. Remove it (the secrets sealed with it are lost) or restore kysod's own")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw SealingError(
                .hostKeyUnusable,
                "\(path) is readable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); secrets sealed with it may be exposed. Fix with chmod 600")
        }
        guard status.st_size == keyByteCount else {
            throw SealingError(.hostKeyUnusable, "\(path) has \(status.st_size) bytes, not \(keyByteCount)")
        }
        var bytes = [UInt8](repeating: 0, count: keyByteCount)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, keyByteCount) }
        guard count == keyByteCount else { throw SealingError(.hostKeyUnusable, "cannot read \(path)") }
        return bytes
    }

    private static func createKey(_ path: String) throws(SealingError) {
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let descriptor = openFile(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw SealingError(.hostKeyUnusable, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, bytes.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced else {
            throw SealingError(.hostKeyUnusable, "cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        // link() fails with EEXIST when another process won the race; its key is then the one to use.
        if link(temporary, path) != 0 && errno != EEXIST {
            throw SealingError(.hostKeyUnusable, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // Make the new name durable too, not only the bytes.
        let directory = openFile((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}

/// The C `open`, reachable from inside a type that has its own `open` method.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
