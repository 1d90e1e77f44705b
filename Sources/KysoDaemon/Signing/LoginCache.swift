import Crypto
import Foundation
import PKCS11
import Synchronization

/// Logged-in sessions kept for a while so a user types their PIN once per batch. Off by default; at most one
/// hour; measured on the monotonic clock so a clock change cannot stretch it. Each entry also remembers the
/// private-key handles found in its session, which stay valid exactly as long as that session does.
///
/// A cached login belongs to the uid whose PIN opened it: nobody else is served from it. A request that carries
/// a PIN has it checked against the one that opened the login, without asking the token (a PKCS#11 login covers
/// every session of the process, so a second C_Login could not check it, and a try must not be spent on it): the
/// entry keeps an HMAC of that PIN under a random key of its own, both forgotten with the entry.
final class LoginCache: Sendable {
    static let maximum: Duration = .seconds(3600)
    private let ttl: Duration?

    private struct Entry {
        let session: Session
        let expires: ContinuousClock.Instant
        let owner: UInt32
        /// nil when the login needed no PIN from the request (a protected authentication path).
        let pinCheck: PINCheck?
        var keys: [[UInt8]: ObjectHandle] = [:]
    }

    /// Says whether a PIN is the one a login was opened with, without keeping the PIN.
    struct PINCheck: Sendable {
        private let key = SymmetricKey(size: .bits256)
        private let mac: HashedAuthenticationCode<SHA256>

        init(_ pin: [UInt8]) { mac = HMAC<SHA256>.authenticationCode(for: pin, using: key) }

        func matches(_ pin: [UInt8]) -> Bool { HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: pin, using: key) }
    }

    /// What the cache has for one caller's request.
    enum Lookup {
        /// Nothing cached (or it expired).
        case miss
        /// The caller's own cached login, and the PIN it sent (if any) is the one that opened it.
        case hit(Session)
        /// The caller's own cached login, but the PIN it sent is not the one that opened it.
        case pinMismatch
        /// Another uid's login, or a PIN that cannot be checked (the login took none): not for this request.
        case notServable
    }

    private let entries = Mutex<[String: Entry]>([:])

    init(ttl: Duration?) {
        self.ttl = ttl.map { min($0, Self.maximum) }.flatMap { $0 > .zero ? $0 : nil }
    }

    var isEnabled: Bool { ttl != nil }

    func session(for tokenId: String, caller: UInt32, pin: [UInt8]?) -> Lookup {
        let now = ContinuousClock.now
        let (lookup, expired) = entries.withLock { entries -> (Lookup, Session?) in
            guard let entry = entries[tokenId] else { return (.miss, nil) }
            guard entry.expires > now else {
                entries[tokenId] = nil
                return (.miss, entry.session)
            }
            guard entry.owner == caller else { return (.notServable, nil) }
            guard let pin else { return (.hit(entry.session), nil) }
            guard let check = entry.pinCheck else { return (.notServable, nil) }
            return (check.matches(pin) ? .hit(entry.session) : .pinMismatch, nil)
        }
        if let expired {
            try? expired.logout()
            expired.close()
        }
        return lookup
    }

    func keep(_ session: Session, for tokenId: String, caller: UInt32, pin: [UInt8]?) {
        guard let ttl else { return }
        let check = pin.map(PINCheck.init)
        entries.withLock { $0[tokenId] = Entry(session: session, expires: ContinuousClock.now + ttl, owner: caller, pinCheck: check) }
    }

    /// The handle of the private key with CKA_ID `objectID` found earlier in `session`, while that session is
    /// still the token's cached one.
    func key(_ objectID: [UInt8], in session: Session, for tokenId: String) -> ObjectHandle? {
        entries.withLock { entries in
            guard let entry = entries[tokenId], entry.session === session else { return nil }
            return entry.keys[objectID]
        }
    }

    /// Remembers a key handle found in the token's cached `session` (ignored when that session is not cached).
    func remember(key: ObjectHandle, _ objectID: [UInt8], in session: Session, for tokenId: String) {
        entries.withLock { entries in
            guard entries[tokenId]?.session === session else { return }
            entries[tokenId]?.keys[objectID] = key
        }
    }

    func forget(_ tokenId: String) {
        entries.withLock { _ = $0.removeValue(forKey: tokenId) }
    }

    /// Removes and returns cached sessions (all, or one token's) for the caller to log out on the right queue.
    func drain(tokenId: String?) -> [(String, Session)] {
        entries.withLock { entries in
            let chosen = entries.filter { tokenId == nil || $0.key == tokenId }
            for key in chosen.keys { entries[key] = nil }
            return chosen.map { ($0.key, $0.value.session) }
        }
    }
}
