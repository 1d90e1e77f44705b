import Foundation
import KysoText
import KysoAPI
import KysoCore

/// One way of naming a token wherever kyso asks for its PIN: `PIN for token “kyso-viettel” [301f63f3285e79be]: `
/// (issue 13 friction: sign, register, bind and secret named it three ways). The label comes from kysod; without
/// it (kysod unreachable, token absent) the id or certificate is named, and the request's answer says why.
enum TokenNaming {
    static func prompt(label: String?, id: String) -> String {
        guard let label else { return tr("pin.prompt.id", ["id": id]) }
        return tr("pin.prompt.label", ["label": TerminalText.field(label), "id": id])
    }

    /// The prompt for the token `id`.
    static func prompt(tokenId id: String, client: KysoClient) async -> String {
        let token = try? await client.request(.GET, "/v1/tokens/\(id)").decode(TokenInfoResponse.self)
        return prompt(label: token?.label, id: id)
    }

    /// The prompt for the token holding the key of certificate `sha256`.
    static func prompt(certificate sha256: String, client: KysoClient) async -> String {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit),
              let certificate = try? await client.request(.GET, "/v1/certificates/\(sha256.lowercased())").decode(CertificateResponse.self),
              let location = certificate.locations.first(where: \.privateKeyOnToken) ?? certificate.locations.first
        else { return tr("pin.prompt.certificate", ["sha256": String(sha256.prefix(16))]) }
        return prompt(label: location.tokenLabel, id: location.tokenId)
    }

    /// The certificate a registration statement names (`certificate.sha256`), read without judging the statement
    /// (kysod does that).
    static func certificate(inStatement bytes: Data) -> String? {
        let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        return (object?["certificate"] as? [String: Any])?["sha256"] as? String
    }
}

/// What kysod's answers call by API names, in the words of kyso's flags (issue 13 friction: "allowFinalTry",
/// "field pin" in messages to people who typed `--allow-final-try` and a PIN at a prompt).
enum CLIWords {
    static func translate(_ text: String) -> String {
        // kysod words its details in the language kyso asks for (Accept-Language); the Vietnamese ones already
        // name kyso's flags.
        guard tr.language == .en else { return text }
        return text.replacingOccurrences(of: "repeat with allowFinalTry", with: "repeat with --allow-final-try")
            .replacingOccurrences(of: "allowFinalTry", with: "--allow-final-try")
            .replacingOccurrences(of: "in the request body (field pin)", with: "(at the prompt, or with --pin-fd N or --pin-stdin)")
    }
}

/// The CA as people know it (`VNPT-CA`), wherever kysod sends its provider key (`vnpt`): one name everywhere.
enum CAName {
    static func display(_ provider: String) -> String {
        CertificateAuthorityProvider(rawValue: provider)?.displayName ?? provider
    }
}
