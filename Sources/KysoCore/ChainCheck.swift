public import Foundation
public import KysoText
import SwiftASN1
// The SPI is the library's way to validate expiry at a chosen time (tests, `now` injected by callers).
@_spi(FixedExpiryValidationTime) import X509

/// The outcome of building and verifying a certificate's chain to configured trust anchors, offline.
public struct ChainCheck: Sendable, Codable, Hashable {
    public enum Outcome: String, Sendable, Codable, Hashable {
        case verified
        case notVerified
    }

    /// One certificate of a verified chain.
    public struct Link: Sendable, Codable, Hashable {
        public var subject: String
        public var sha256: String
    }

    public var outcome: Outcome
    /// Leaf first, trust anchor last; empty unless verified.
    public var chain: [Link]
    /// Why no chain verified (one line per candidate chain the verifier rejected, plus input problems).
    public var failures: [String]
    /// The same reasons as catalog messages, for words in the reader's language (not in the JSON, which keeps
    /// `failures` in English; empty when decoded). A verifier's policy reason is the library's own text inside one.
    public var failureMessages: [Message] = []
    /// The time the chain was validated for.
    public var validatedAt: Date

    public var isVerified: Bool { outcome == .verified }

    /// Builds a chain from `leaf` through `intermediates` to one of `trustAnchors` with swift-certificates'
    /// `Verifier` under the RFC 5280 policy at `time`. No network: revocation is not checked.
    public static func verify(
        leaf: [UInt8], intermediates: [[UInt8]], trustAnchors: [[UInt8]], at time: Date
    ) async -> ChainCheck {
        var failures: [Message] = []
        func load(_ der: [UInt8], role: String, number: Int = 0) -> Certificate? {
            do {
                return try Certificate(derEncoded: der)
            } catch {
                failures.append(Message("chain.failure.\(role)Unusable", ["number": String(number), "error": "\(error)"]))
                return nil
            }
        }
        guard let leafCertificate = load(leaf, role: "certificate") else {
            return ChainCheck(outcome: .notVerified, chain: [], reasons: failures, validatedAt: time)
        }
        let anchors = trustAnchors.enumerated().compactMap { load($1, role: "anchor", number: $0 + 1) }
        let pool = intermediates.enumerated().compactMap { load($1, role: "intermediate", number: $0 + 1) }
        if anchors.isEmpty {
            failures.append(Message("chain.failure.noAnchor"))
            return ChainCheck(outcome: .notVerified, chain: [], reasons: failures, validatedAt: time)
        }

        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let result = await verifier.validate(leaf: leafCertificate, intermediates: CertificateStore(pool))
        switch result {
        case .validCertificate(let validated):
            let links = Array(validated).map { certificate in
                Link(subject: DistinguishedNameText(certificate.subject).rfc4514, sha256: fingerprint(certificate))
            }
            return ChainCheck(outcome: .verified, chain: links, reasons: failures, validatedAt: time)
        case .couldNotValidate(let policyFailures):
            failures += policyFailures.map { Message("chain.failure.policy", ["reason": "\($0.policyFailureReason)"]) }
            if policyFailures.isEmpty {
                failures.append(Message("chain.failure.noChain"))
            }
            return ChainCheck(outcome: .notVerified, chain: [], reasons: failures, validatedAt: time)
        }
    }

    private init(outcome: Outcome, chain: [Link], reasons messages: [Message], validatedAt: Date) {
        let english = Messages.forLanguage(.en)
        self.outcome = outcome
        self.chain = chain
        self.failures = messages.map { english($0) }
        failureMessages = messages
        self.validatedAt = validatedAt
    }

    private enum CodingKeys: String, CodingKey { case outcome, chain, failures, validatedAt }

    private static func fingerprint(_ certificate: Certificate) -> String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return "" }
        return CertificateFingerprints(derEncoded: serializer.serializedBytes).sha256
    }
}
