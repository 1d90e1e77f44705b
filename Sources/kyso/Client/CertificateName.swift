import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoCore

/// A certificate named the way people know it (issue 13 friction: `register` took only the 64-hex SHA-256, found
/// only in `tokens --json`, and refused the serial number customs and the CA show): its SHA-256 or a prefix of it
/// (8 hex digits or more), its serial number (as the CA writes it, colons and case ignored), or its token (id,
/// serial or label; a token with one key names that key's certificate). When the name fits several, the candidates
/// are listed. Only certificates whose private key is on a present token are candidates.
struct CertificateName {
    struct Candidate: Equatable {
        let tokenId: String
        let tokenLabel: String
        let sha256: String
        let serial: String
        /// The certificate as kysod reads it (nil when the name went to kysod unresolved).
        var profile: CertificateProfile? = nil
    }

    /// The certificate `name` stands for, or a ValidationError that says what fits and what does not. A full
    /// SHA-256 that no present token holds goes to kysod as it is, whose answer (and audit record) says why.
    static func resolve(_ name: String, client: KysoClient) async throws -> Candidate {
        let fingerprint = name.trimmingCharacters(in: .whitespaces).lowercased()
        let isFingerprint = fingerprint.count == 64 && fingerprint.allSatisfy(\.isHexDigit)
        let tokens: [TokenInfoResponse]
        do {
            tokens = try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
        } catch {
            if isFingerprint { return Candidate(tokenId: "", tokenLabel: "", sha256: fingerprint, serial: "") }
            throw ClientExit.fail(error)
        }
        do {
            return try resolve(name, among: tokens)
        } catch where isFingerprint {
            return Candidate(tokenId: "", tokenLabel: "", sha256: fingerprint, serial: "")
        } catch let error as NoSuchCertificate {
            throw ValidationError(error.message)
        }
    }

    /// The token `name` stands for in `kyso sign TOKEN`: its id, label or serial, or a certificate name (then that
    /// certificate signs). Unknown names go to kysod as they are.
    static func token(_ name: String, client: KysoClient) async throws -> (tokenId: String, certificate: String?) {
        guard let tokens = try? await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens else { return (name, nil) }
        if tokens.contains(where: { $0.id == name }) { return (name, nil) }
        let named = tokens.filter { $0.label == name || $0.serialNumber == name }
        if named.count == 1 { return (named[0].id, nil) }
        if named.count > 1 {
            throw ValidationError(tr("certName.severalTokens", ["name": TerminalText.field(name), "count": String(named.count)]) + "\n"
                + named.map { "  " + tr("certName.tokenLine", ["label": TerminalText.field($0.label), "id": $0.id,
                                                               "serial": TerminalText.field($0.serialNumber)]) }.joined(separator: "\n"))
        }
        do {
            let certificate = try resolve(name, among: tokens)
            return (certificate.tokenId, certificate.sha256)
        } catch is NoSuchCertificate {
            return (name, nil)  // kysod's answer names the problem (token-not-found)
        }
    }

    static func resolve(_ name: String, among tokens: [TokenInfoResponse]) throws -> Candidate {
        let all = tokens.flatMap { token in
            token.certificates.filter(\.privateKeyOnToken).map {
                Candidate(tokenId: token.id, tokenLabel: token.label, sha256: $0.sha256, serial: $0.profile.serialNumber.hex, profile: $0.profile)
            }
        }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let hex = trimmed.lowercased().replacingOccurrences(of: ":", with: "")
        let isHex = !hex.isEmpty && hex.allSatisfy(\.isHexDigit)
        // The most exact kind of name wins: a full fingerprint, then a serial, then a token, then a fingerprint prefix.
        let rules: [(Candidate) -> Bool] = [
            { isHex && $0.sha256 == hex },
            { isHex && $0.serial.lowercased() == hex },
            { candidate in tokens.contains { $0.id == candidate.tokenId && ($0.id == trimmed.lowercased() || $0.serialNumber == trimmed || $0.label == trimmed) } },
            { isHex && hex.count >= 8 && $0.sha256.hasPrefix(hex) },
        ]
        for rule in rules {
            let matches = all.filter(rule)
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 {
                throw ValidationError(tr("certName.severalCertificates", ["name": TerminalText.field(name), "count": String(matches.count)]) + "\n"
                    + matches.map { "  \(describe($0))" }.joined(separator: "\n"))
            }
        }
        let known = all.isEmpty ? tr("certName.noKeyPlugged") : tr("certName.present") + "\n" + all.map { "  \(describe($0))" }.joined(separator: "\n")
        throw NoSuchCertificate(message: tr("certName.none", ["name": TerminalText.field(name), "known": known]))
    }

    static func describe(_ candidate: Candidate) -> String {
        tr("certName.candidate", ["serial": candidate.serial, "sha256": String(candidate.sha256.prefix(16)),
                                  "label": TerminalText.field(candidate.tokenLabel), "id": candidate.tokenId])
    }
}

/// No present certificate fits a name: a usage error for `register`, while `sign` lets kysod answer instead. A type
/// of its own, so that choice does not depend on the message's words (which follow the language).
struct NoSuchCertificate: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
