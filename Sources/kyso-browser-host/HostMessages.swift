import Foundation
import KysoAPI

/// A request from the extension. `origin` is not the page's word: the extension's service worker fills it from
/// the browser's own record of the sending tab (`sender.origin`), and the host checks it (`BrowserOrigin`).
struct HostRequest: Decodable, Sendable {
    /// Echoed in the reply, so the page library can match answers to calls.
    var id: String?
    /// `version`, `certificates`, `sign` or `authenticate`.
    var type: String
    var origin: String
    /// SHA-256 of the certificate to use (from `certificates`).
    var certificate: String?
    /// `sign`: a SHA-256 digest (base64, 32 bytes), signed raw.
    var hash: Data?
    /// `sign`: bytes to sign (base64), for `cms` output (or raw over their SHA-256).
    var data: Data?
    /// `sign`: `raw` (default) or `cms` (detached CMS SignedData with the certificate; needs `data`).
    var output: String?
    /// `sign`: `rsa-pss-sha256` instead of PKCS#1 v1.5 for an RSA key; otherwise chosen from the key.
    var mechanism: String?
    /// `authenticate`: the server's challenge, base64 of at least 32 random bytes.
    var nonce: String?
}

/// Stable codes a page can act on (docs/browser.md lists what each asks the page to do).
enum HostErrorCode: String, Codable, Sendable {
    case badRequest = "bad-request"
    case originRefused = "origin-refused"
    case userCancelled = "user-cancelled"
    case noToken = "no-token"
    case certificateNotFound = "certificate-not-found"
    case certificateExpired = "certificate-expired"
    case certificateNotYetValid = "certificate-not-yet-valid"
    case pinIncorrect = "pin-incorrect"
    case pinLocked = "pin-locked"
    case pinFinalTry = "pin-final-try"
    case daemonUnavailable = "daemon-unavailable"
    case accessRefused = "access-refused"
    case dialogUnavailable = "dialog-unavailable"
    case messageTooLarge = "message-too-large"
    case signingFailed = "signing-failed"
}

struct HostError: Error, Encodable, Sendable {
    var code: HostErrorCode
    var message: String

    init(_ code: HostErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// What the host answers: `{id, ok: true, result}` or `{id, ok: false, error: {code, message}}`.
struct HostReply<Result: Encodable & Sendable>: Encodable, Sendable {
    var id: String?
    var ok: Bool
    var result: Result?
    var error: HostError?
}

/// A certificate as a page sees it: the Vietnamese profile, not the whole certificate object.
struct PageCertificate: Encodable, Sendable {
    /// SHA-256 of the DER: what `sign` and `authenticate` take.
    var id: String
    var tokenLabel: String
    /// The holder (subject CN) and organisation.
    var holder: String?
    var organization: String?
    /// Mã số thuế, when the certificate carries one.
    var taxCode: String?
    /// The CA by its Vietnamese trade name (VNPT-CA, Viettel-CA…), or the issuer's CN when unknown.
    var ca: String
    var notBefore: Date
    var notAfter: Date
    /// `valid`, `expiringSoon`, `expired` or `notYetValid`.
    var status: String
    var keyType: String
    /// base64 DER, so the server can check the chain and build its CMS.
    var der: Data
}

struct CertificateList: Encodable, Sendable { var certificates: [PageCertificate] }

struct SignatureResult: Encodable, Sendable {
    var certificate: String
    var mechanism: String
    /// JOSE name of the algorithm (`RS256`, `PS256`, `ES256`) for raw signatures; `cms` otherwise.
    var algorithm: String
    var output: String
    var signature: Data
    /// The signer's certificate (base64 DER), to check the signature or wrap it in a CMS.
    var certificateDer: Data
}

/// Web eID's authentication token, Kyso's format: the server checks `signature` over
/// SHA-256(origin) ‖ SHA-256(nonce) with `unverifiedCertificate`'s key (docs/browser.md).
struct AuthenticationToken: Encodable, Sendable {
    var format = "kyso:1"
    var unverifiedCertificate: Data
    var algorithm: String
    var signature: Data
    var origin: String
}

struct VersionInfo: Encodable, Sendable {
    var host = "kyso-browser-host"
    var version = "1"
    var protocolVersion = 1
}
