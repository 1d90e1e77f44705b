import Crypto
import _CryptoExtras
import Foundation
import Synchronization
import X509

/// The certificate's public key, parsed once, that every raw signature is checked with before it leaves.
enum SignatureVerifier: Sendable {
    case p256(P256.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)
    /// A key swift-crypto cannot check: no raw signature is returned with it.
    case unsupported

    init(_ publicKey: Certificate.PublicKey) {
        if let key = P256.Signing.PublicKey(publicKey) {
            self = .p256(key)
        } else if let key = _RSA.Signing.PublicKey(publicKey) {
            self = .rsa(key)
        } else {
            self = .unsupported
        }
    }
}

/// Signing certificates parsed once (swift-certificates) with their verifiers, instead of on every request.
/// Keyed by fingerprint, and each hit is checked byte for byte against the DER asked for, so a stale or
/// colliding entry can never be used; a certificate's DER never changes, so nothing needs invalidating.
final class SigningCertificates: Sendable {
    struct Entry: Sendable {
        let der: Data
        let certificate: Certificate
        let verifier: SignatureVerifier
    }

    /// More certificates than any machine's tokens hold; past it the cache starts over.
    static let limit = 256
    private let entries = Mutex<[String: Entry]>([:])

    /// The parsed certificate, or nil when swift-certificates cannot parse its DER.
    func entry(sha256: String, der: Data) -> Entry? {
        if let hit = entries.withLock({ $0[sha256] }), hit.der == der { return hit }
        guard let certificate = try? Certificate(derEncoded: Array(der)) else { return nil }
        let entry = Entry(der: der, certificate: certificate, verifier: SignatureVerifier(certificate.publicKey))
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[sha256] = entry
        }
        return entry
    }
}
