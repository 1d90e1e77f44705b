public import KysoAPI
public import KysoCore
public import KysoStore

/// Where the private keys behind the inventory's certificates live, and how one is used: the seam between what
/// Kyso does with a key (sign, CMS, open a sealed secret) and how a kind of key store reaches it. PKCS#11 tokens
/// (`TokenKeys`) are the first backend; a remote signing service is another, without touching the signer, the
/// accounts, CMS or the HTTP edge.
public protocol KeyBackend: Sendable {
    /// Whether this backend holds the keys of token `tokenId` (each inventory token belongs to one backend).
    func holds(tokenId: String) -> Bool

    /// Unlocks the key of `key.certificateSHA256` on `key.tokenId` with `authorization`, and runs `body` with it on the
    /// backend's own thread (never the cooperative pool: `body` may block on the key store). The backend applies its
    /// own rules (PIN safety, deadlines, one operation at a time per physical token) and maps its errors to failures;
    /// an error `body` throws is mapped too (`KeyOperationError`, else `signing-failed`).
    func withKey<T: Sendable>(_ key: KeyReference, authorization: KeyAuthorization,
                              _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure>

    /// Forgets kept authorizations (cached logins): one token's, or all with nil.
    func forgetAuthorizations(tokenId: String?)
}

/// A key as the inventory names it.
public struct KeyReference: Sendable, Hashable {
    public var tokenId: String
    public var certificateSHA256: String

    public init(tokenId: String, certificateSHA256: String) {
        self.tokenId = tokenId
        self.certificateSHA256 = certificateSHA256
    }
}

/// What a caller brings to unlock a key: who they are, the PIN (wiped when the last copy goes), and whether a
/// login may spend a token's last PIN try.
public struct KeyAuthorization: Sendable {
    public var caller: UInt32
    public var pin: SecretBytes?
    public var allowFinalTry: Bool
    /// A one-time password, for a remote credential that asks for one (wiped like the PIN; never kept).
    public var otp: SecretBytes?

    public init(caller: UInt32, pin: SecretBytes?, allowFinalTry: Bool, otp: SecretBytes? = nil) {
        self.caller = caller
        self.pin = pin
        self.allowFinalTry = allowFinalTry
        self.otp = otp
    }
}

/// What `body` returned, and what the backend learnt about the key's PIN on the way.
public struct KeyUse<T: Sendable>: Sendable {
    public var value: T
    /// The PIN state after the operation.
    public var pin: PINStatus
    /// Said when the token reports a low PIN count.
    public var warning: String?
    /// An authorization kept from an earlier request was used (no PIN was needed).
    public var cachedLogin: Bool
}

/// The operations on an unlocked private key. Blocking; valid only inside `KeyBackend.withKey`.
public protocol KeyOperations {
    /// Signs with `mechanism`. `message` is what the caller signs when the backend may hash it itself (nil when only
    /// the digest is known); `digest` is its SHA-256. ECDSA signatures come back DER encoded.
    func sign(_ mechanism: SignatureMechanism, message: [UInt8]?, digest: [UInt8]) throws -> [UInt8]

    /// Decrypts an RSA-OAEP ciphertext with the key (the plaintext is the caller's to wipe).
    func decryptOAEP(_ hash: OAEPHash, ciphertext: [UInt8]) throws -> [UInt8]
}

/// Errors of key operations that callers decide on, whatever the backend.
public enum KeyOperationError: Error, Sendable {
    /// The key store does not take these parameters (an OAEP hash, say): another choice may work.
    case parametersRefused(String)
    /// The key may not do this at all (decrypt with a signing-only key, say).
    case notPermitted(String)
    /// What the key signed does not verify with its certificate.
    case keyMismatch
}
