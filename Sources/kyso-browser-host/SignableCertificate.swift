import Foundation
import KysoAPI
import KysoCore

/// A certificate with its private key on a token plugged in now, and what the page and the dialog show of it.
struct SignableCertificate: Sendable {
    let tokenId: String
    let pin: PINStatus
    let page: PageCertificate

    init(token: TokenInfoResponse, certificate: TokenCertificate) {
        let profile = certificate.profile
        tokenId = token.id
        pin = token.pin
        page = PageCertificate(
            id: certificate.sha256, tokenLabel: token.label, holder: profile.commonName, organization: profile.organization,
            taxCode: profile.taxCode?.value,
            ca: profile.provider.isKnown ? profile.provider.displayName : (profile.provider.issuerCommonName ?? profile.issuer.rfc4514),
            notBefore: profile.validity.notBefore, notAfter: profile.validity.notAfter, status: profile.status.rawValue,
            keyType: profile.publicKey.type.rawValue, der: certificate.der)
    }

    /// The kysod mechanism for this key: PKCS#1 v1.5 for RSA unless the page asks for PSS; ECDSA for EC.
    func mechanism(_ asked: String?) throws(HostError) -> String {
        switch (page.keyType, asked) {
        case ("rsa", nil), ("rsa", "rsa-pkcs1-sha256"): return "rsa-pkcs1-sha256"
        case ("rsa", "rsa-pss-sha256"): return "rsa-pss-sha256"
        case ("ec", nil), ("ec", "ecdsa-sha256"): return "ecdsa-sha256"
        default: throw HostError(.badRequest, "mechanism \(asked ?? "-") does not fit this certificate's \(page.keyType) key")
        }
    }

    static func joseName(_ mechanism: String) -> String {
        switch mechanism {
        case "rsa-pss-sha256": "PS256"
        case "ecdsa-sha256": "ES256"
        default: "RS256"
        }
    }
}

/// kysod's answers as codes a page can act on.
enum DaemonErrors {
    static func map(_ error: any Error) -> HostError {
        guard let error = error as? KysoClient.ClientError else { return HostError(.signingFailed, "\(error)") }
        switch error {
        case .daemonNotRunning: return HostError(.daemonUnavailable, error.description)
        case .socketPermissionDenied, .accessRefused: return HostError(.accessRefused, error.description)
        case .connectionClosed, .unexpectedResponse: return HostError(.daemonUnavailable, error.description)
        case .problem(let problem):
            let message = problem.detail ?? problem.title
            switch problem.code {
            case "pin-incorrect": return HostError(.pinIncorrect, message)
            case "pin-locked", "pin-not-initialized": return HostError(.pinLocked, message)
            case "pin-final-try": return HostError(.pinFinalTry, message)
            case "token-removed", "token-not-found": return HostError(.noToken, message)
            case "certificate-not-found", "no-private-key": return HostError(.certificateNotFound, message)
            case "body-too-large": return HostError(.messageTooLarge, message)
            case "bad-request", "unknown-mechanism", "mechanism-unsupported", "registration-context": return HostError(.badRequest, message)
            default: return HostError(.signingFailed, "\(problem.code): \(message)")
            }
        }
    }
}
