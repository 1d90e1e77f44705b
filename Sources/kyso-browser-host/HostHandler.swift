import Crypto
import Foundation
import KysoAPI
import KysoBrowser
import KysoCore

/// Serves one request: checks the origin, asks the person (consent the first time, a PIN dialog for every
/// signature), then asks kysod. Nothing is retried: a wrong PIN goes back to the page as `pin-incorrect`.
struct HostHandler: Sendable {
    /// The most `data` a sign request may carry (larger documents: sign their hash, or build the CMS server-side).
    static let maximumData = 32 * 1024

    let client: KysoClient
    let origins: RememberedOrigins
    let pinentry: Pinentry

    func handle(_ request: HostRequest) async -> [UInt8] {
        let origin: BrowserOrigin
        do { origin = try BrowserOrigin(request.origin) } catch {
            return Self.encode(HostReply<VersionInfo>(id: request.id, ok: false, error: HostError(.originRefused, "\(request.origin): \(error)")))
        }
        switch request.type {
        case "version": return await Self.reply(request.id) { VersionInfo() }
        case "certificates": return await Self.reply(request.id) { try await certificates(origin) }
        case "sign": return await Self.reply(request.id) { try await sign(request, origin: origin) }
        case "authenticate": return await Self.reply(request.id) { try await authenticate(request, origin: origin) }
        default:
            return Self.encode(HostReply<VersionInfo>(id: request.id, ok: false, error: HostError(.badRequest, "unknown request type \(request.type)")))
        }
    }

    private func certificates(_ origin: BrowserOrigin) async throws(HostError) -> CertificateList {
        try await requireConsent(origin)
        let found = try await usableCertificates()
        guard !found.isEmpty else { throw HostError(.noToken, "no token with a signing certificate is plugged in") }
        return CertificateList(certificates: found.map(\.page))
    }

    private func sign(_ request: HostRequest, origin: BrowserOrigin) async throws(HostError) -> SignatureResult {
        let output = request.output ?? "raw"
        guard output == "raw" || output == "cms" else { throw HostError(.badRequest, "output must be raw or cms") }
        let what: String
        switch (request.hash, request.data) {
        case (let hash?, nil):
            guard hash.count == 32 else { throw HostError(.badRequest, "hash must be a SHA-256 digest: 32 bytes, base64") }
            guard output == "raw" else { throw HostError(.badRequest, "cms output signs data: send data, not a hash") }
            what = Dialogs.signing(hash: Array(hash))
        case (nil, let data?):
            // Refused here, before the person types a PIN for a request kysod would refuse for its size (413 past
            // its default 64 KiB body, base64 included).
            guard data.count <= Self.maximumData else {
                throw HostError(.messageTooLarge, "data is at most \(Self.maximumData) bytes: sign its SHA-256 hash instead")
            }
            what = Dialogs.signing(data: Array(data), output: output)
        default:
            throw HostError(.badRequest, "send exactly one of hash and data (base64)")
        }
        try await requireConsent(origin)
        let chosen = try await certificate(request.certificate)
        let mechanism = try chosen.mechanism(request.mechanism)
        let signRequest = SignRequest(certificate: chosen.page.id, data: request.data, digest: request.hash,
                                      mechanism: SignatureMechanism(rawValue: mechanism), output: SignatureOutput(rawValue: output),
                                      origin: origin.value)
        let signed = try await signWithPIN(signRequest, chosen: chosen, origin: origin, what: what)
        return SignatureResult(certificate: signed.certificate, mechanism: signed.mechanism.rawValue,
                               algorithm: output == "cms" ? "cms" : SignableCertificate.joseName(signed.mechanism.rawValue),
                               output: signed.output.rawValue, signature: signed.signature, certificateDer: chosen.page.der)
    }

    /// Web eID's scheme: the key signs SHA-256(origin) ‖ SHA-256(nonce), so a token made for one site is
    /// worthless on another, and a server that checks its nonce is fresh and single-use gets no replay.
    private func authenticate(_ request: HostRequest, origin: BrowserOrigin) async throws(HostError) -> AuthenticationToken {
        guard let nonce = request.nonce, let bytes = Data(base64Encoded: nonce), bytes.count >= 32, nonce.utf8.count <= 1024 else {
            throw HostError(.badRequest, "nonce must be base64 of at least 32 random bytes (256 bits)")
        }
        try await requireConsent(origin)
        let chosen = try await certificate(request.certificate)
        let mechanism = try chosen.mechanism(nil)
        let signed = Data(SHA256.hash(data: Data(origin.value.utf8))) + Data(SHA256.hash(data: Data(nonce.utf8)))
        let signRequest = SignRequest(certificate: chosen.page.id, data: signed, mechanism: SignatureMechanism(rawValue: mechanism), output: .raw,
                                      origin: origin.value)
        let result = try await signWithPIN(signRequest, chosen: chosen, origin: origin, what: Dialogs.authentication(origin: origin.value))
        return AuthenticationToken(unverifiedCertificate: chosen.page.der, algorithm: SignableCertificate.joseName(result.mechanism.rawValue),
                                   signature: result.signature, origin: origin.value)
    }

    /// The first time an origin asks, the person allows it (remembered) or refuses (asked again next time).
    private func requireConsent(_ origin: BrowserOrigin) async throws(HostError) {
        let remembered: Bool
        do { remembered = try origins.contains(origin) } catch { throw HostError(.dialogUnavailable, error.description) }
        if remembered { return }
        let pinentry = self.pinentry
        switch try await Self.dialog({ () throws(Pinentry.Failure) in try pinentry.confirm(Dialogs.consent(origin.value)) }) {
        case .confirmed, .pin:
            do { try origins.remember(origin) } catch { throw HostError(.dialogUnavailable, error.description) }
        case .cancelled:
            throw HostError(.userCancelled, "the person did not allow \(origin.value)")
        }
    }

    /// One PIN dialog, one attempt: whatever kysod answers goes back to the page.
    private func signWithPIN(_ request: SignRequest, chosen: SignableCertificate, origin: BrowserOrigin, what: String) async throws(HostError) -> SignResponse {
        var request = request
        let pinPad = chosen.pin.protectedAuthenticationPath
        let texts = Dialogs.signature(origin: origin.value, certificate: chosen.page, what: what, pinPad: pinPad)
        let pinentry = self.pinentry
        let answer = try await Self.dialog({ () throws(Pinentry.Failure) in pinPad ? try pinentry.confirm(texts) : try pinentry.pin(texts) })
        switch answer {
        case .cancelled: throw HostError(.userCancelled, "the person cancelled the signature")
        case .confirmed: break
        case .pin(let bytes):
            // The PIN's one owner from here to kysod's socket: wiped when the request goes.
            let pin = SecretBytes(bytes)
            guard !pin.isEmpty else { throw HostError(.userCancelled, "no PIN was entered") }
            request.pin = pin
        }
        do {
            let response = try await client.request(.POST, "/v1/tokens/\(chosen.tokenId)/sign", body: Array(try APIJSON.encoder().encode(request)))
            request.pin = nil
            return try response.decode(SignResponse.self)
        } catch {
            throw DaemonErrors.map(error)
        }
    }

    private func usableCertificates() async throws(HostError) -> [SignableCertificate] {
        do {
            let tokens = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
            return tokens.flatMap { token in token.certificates.filter(\.privateKeyOnToken).map { SignableCertificate(token: token, certificate: $0) } }
        } catch {
            throw DaemonErrors.map(error)
        }
    }

    /// The certificate a request names, checked before any dialog: present, with its key, in its validity.
    private func certificate(_ id: String?) async throws(HostError) -> SignableCertificate {
        guard let id = id?.lowercased(), id.count == 64, id.allSatisfy(\.isHexDigit) else {
            throw HostError(.badRequest, "certificate must be the SHA-256 (hex) of a certificate from `certificates`")
        }
        let found = try await usableCertificates()
        guard !found.isEmpty else { throw HostError(.noToken, "no token with a signing certificate is plugged in") }
        guard let chosen = found.first(where: { $0.page.id == id }) else {
            throw HostError(.certificateNotFound, "certificate \(id) is on no token plugged in now")
        }
        let now = Date()
        if now > chosen.page.notAfter { throw HostError(.certificateExpired, "the certificate expired on \(chosen.page.notAfter)") }
        if now < chosen.page.notBefore { throw HostError(.certificateNotYetValid, "the certificate is valid from \(chosen.page.notBefore)") }
        switch chosen.pin.state {
        case .locked: throw HostError(.pinLocked, chosen.pin.words)
        case .notInitialized: throw HostError(.pinLocked, chosen.pin.words)
        default: return chosen
        }
    }

    /// Runs a pinentry conversation on a thread of its own: it blocks on the person for as long as they take.
    private static func dialog(_ work: @escaping @Sendable () throws(Pinentry.Failure) -> Pinentry.Answer) async throws(HostError) -> Pinentry.Answer {
        let result: Result<Pinentry.Answer, Pinentry.Failure> = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Result { () throws(Pinentry.Failure) in try work() }) }.start()
        }
        do { return try result.get() } catch { throw HostError(.dialogUnavailable, error.description) }
    }

    private static func reply<T: Encodable & Sendable>(_ id: String?, _ body: () async throws -> T) async -> [UInt8] {
        do { return encode(HostReply(id: id, ok: true, result: try await body())) } catch {
            let failure = error as? HostError ?? HostError(.signingFailed, "\(error)")
            return encode(HostReply<T>(id: id, ok: false, error: failure))
        }
    }

    static func encode<T: Encodable>(_ reply: T) -> [UInt8] {
        guard let bytes = try? APIJSON.encoder().encode(reply), bytes.count <= NativeMessaging.maximumReply else {
            return Array(#"{"ok":false,"error":{"code":"message-too-large","message":"the reply is over the browsers' 1 MB limit"}}"#.utf8)
        }
        return Array(bytes)
    }
}
