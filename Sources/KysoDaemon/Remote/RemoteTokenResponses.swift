import Foundation
import KysoAPI
import KysoCore
import KysoRemote

/// A remote credential as the API shows a token: kind `remote`, one certificate with its key at the service, the
/// certificate profiled exactly as a hardware token's is (`CertificateProfile`, the same expiring-soon window).
enum RemoteTokenResponses {
    static func make(_ token: RemoteKeyBackend.Token, service: RemoteServiceSettings, slot: UInt, insertedAt: Date, now: Date,
                     expiringSoonDays: Int) -> TokenInfoResponse {
        let credential = token.credential
        let uri = "csc:" + service.name + "/" + (credential.credentialID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        var certificates: [TokenCertificate] = []
        if let profile = try? CertificateProfile(derEncoded: credential.certificate, now: now, expiringSoonDays: expiringSoonDays) {
            certificates.append(TokenCertificate(
                sha256: token.certificateSHA256, label: credential.description ?? profile.commonName ?? credential.credentialID,
                objectId: Hex.lowercase(Array(credential.credentialID.utf8)), uri: uri, privateKeyOnToken: credential.keyEnabled,
                keyEvidence: "remoteCredential", privateKeyUri: nil, der: Data(credential.certificate), profile: profile))
        }
        let authorisation = authorisation(credential.authorisation, approval: service.holderApproves)
        let pinNeeded = authorisation.contains(.pin)
        let pin = PINStatus(locked: false, finalTry: false, countLow: false, loginRequired: pinNeeded)
        var flags = ["TOKEN_INITIALIZED", "WRITE_PROTECTED"]
        if pinNeeded { flags += ["LOGIN_REQUIRED", "USER_PIN_INITIALIZED"] }
        let label = certificates.first?.profile.commonName ?? credential.description ?? credential.credentialID
        return TokenInfoResponse(
            id: token.tokenId, uri: uri, module: "remote:" + service.name, slot: slot, label: label,
            manufacturer: service.provider, model: "CSC API " + service.version.rawValue, serialNumber: credential.credentialID,
            flags: flags, pin: pin, pinWords: RemoteWords.authorisation(authorisation), insertedAt: insertedAt,
            certificates: certificates, kind: .remote,
            remote: RemoteCredentialDetails(service: service.name, provider: service.provider, credentialId: credential.credentialID,
                                            authorisation: authorisation, chain: credential.chain.map { Data($0) }))
    }

    /// What a signature needs, from what the service says (PIN, OTP) and what the administrator says it does
    /// (the holder approves on their phone: a CSC service does not announce it before the first signature).
    static func authorisation(_ given: CSCAuthorisation, approval: Bool) -> [RemoteAuthorisation] {
        var steps: [RemoteAuthorisation] = []
        if given.pin == .required { steps.append(.pin) }
        if given.otp == .required { steps.append(.otp) }
        if approval { steps.append(.approval) }
        return steps
    }
}

/// Plain words for remote credentials (English; the message catalog takes them over).
enum RemoteWords {
    static func authorisation(_ steps: [RemoteAuthorisation]) -> String {
        if steps.isEmpty { return "The signing service needs nothing more from the holder." }
        let words = steps.map { step in
            switch step {
            case .pin: "the credential's PIN"
            case .otp: "a one-time password"
            case .approval: "the holder's approval on their phone"
            }
        }
        return "Each signature needs " + words.joined(separator: ", then ") + "."
    }
}
