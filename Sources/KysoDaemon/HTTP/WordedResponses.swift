import KysoAPI
import KysoCore
import KysoText

// The answers that carry texts for people besides codes: a token's `pinWords` and each certificate profile's
// `warnings`, worded in the request's language (issue 14). The codes beside them (`pin.state`, `status`) stay.

extension TokenInfoResponse: LanguageDependent {
    func worded(_ text: Messages) -> TokenInfoResponse {
        var token = self
        token.pinWords = pin.words(text)
        token.certificates = certificates.map { $0.worded(text) }
        return token
    }
}

extension TokenCertificate {
    func worded(_ text: Messages) -> TokenCertificate {
        var certificate = self
        certificate.profile = profile.localized(text)
        return certificate
    }
}

extension TokenListResponse: LanguageDependent {
    func worded(_ text: Messages) -> TokenListResponse {
        TokenListResponse(tokens: tokens.map { $0.worded(text) })
    }
}

extension CertificateResponse: LanguageDependent {
    func worded(_ text: Messages) -> CertificateResponse {
        var response = self
        response.profile = profile.localized(text)
        return response
    }
}
