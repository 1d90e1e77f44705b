import Foundation
import KysoCore

/// What credentials/authorize returned: the Signature Activation Data for `numSignatures` signatures.
public struct CSCSignatureActivation: Sendable {
    public var credentialID: String
    /// The SAD itself: as good as the PIN for its lifetime, so it is never logged or stored by Kyso.
    public var sad: String
    /// When the service said it ends (nil: it did not say).
    public var expiresAt: ContinuousClock.Instant?
    public var signatures: Int

    public var isExpired: Bool {
        expiresAt.map { ContinuousClock.now >= $0 } ?? false
    }
}

extension CSCClient {
    /// `credentials/authorize` for signing `hashes` (the SAD is bound to them, as SCAL 2 services require).
    ///
    /// The PIN and OTP are spliced into the request as bytes, sent once, and wiped with the request; the call is
    /// never repeated, so a PIN is never tried twice by Kyso.
    public func authorize(
        credentialID: String, hashes: [[UInt8]], hashAlgorithm: CSCHashAlgorithm,
        pin: CSCSecret? = nil, otp: CSCSecret? = nil, description: String? = nil
    ) async throws -> CSCSignatureActivation {
        try Self.check(hashes: hashes, algorithm: hashAlgorithm)
        let encoded = hashes.map { Data($0).base64EncodedString() }
        let encoder = JSONEncoder()
        let object: [UInt8]
        switch configuration.version {
        case .v1:
            object = Array(try encoder.encode(CSCAuthorizeRequestV1(
                credentialID: credentialID, numSignatures: hashes.count, hash: encoded, description: description)))
        case .v2:
            object = Array(try encoder.encode(CSCAuthorizeRequestV2(
                credentialID: credentialID, numSignatures: hashes.count, hashes: encoded,
                hashAlgorithmOID: hashAlgorithm.oid, description: description)))
        }
        var body = try Self.withSecrets(object, version: configuration.version, pin: pin, otp: otp)
        defer { SecretBytes.wipe(&body) }
        let method = "credentials/authorize"
        let answer: CSCAuthorizeResponse = try Self.decode(try await send(method, body: body, repeatable: false), method: method)
        return CSCSignatureActivation(
            credentialID: credentialID, sad: answer.SAD,
            expiresAt: answer.expiresIn.map { ContinuousClock.now + .seconds($0) }, signatures: hashes.count)
    }

    /// v1 sends `"PIN"` and `"OTP"` members, v2 an `authData` array of `{id, value}`.
    ///
    /// The secrets are read inside `consume`, which wipes them after: no copy of their bytes outlives the splice
    /// (a copy kept across the wipe would make the wipe overwrite a fresh copy instead of the original).
    static func withSecrets(_ object: [UInt8], version: CSCAPIVersion, pin: CSCSecret?, otp: CSCSecret?) throws -> [UInt8] {
        try reading(pin) { pinBytes in
            try reading(otp) { otpBytes in
                var parts: [(prefix: String, secret: [UInt8], suffix: String)] = []
                switch version {
                case .v1:
                    if let pinBytes { parts.append(("\"PIN\":\"", pinBytes, "\"")) }
                    if let otpBytes { parts.append(((parts.isEmpty ? "" : ",") + "\"OTP\":\"", otpBytes, "\"")) }
                case .v2:
                    if let pinBytes { parts.append(("{\"id\":\"PIN\",\"value\":\"", pinBytes, "\"}")) }
                    if let otpBytes {
                        parts.append(((parts.isEmpty ? "" : ",") + "{\"id\":\"OTP\",\"value\":\"", otpBytes, "\"}"))
                    }
                    if !parts.isEmpty {
                        parts[0].prefix = "\"authData\":[" + parts[0].prefix
                        parts[parts.count - 1].suffix += "]"
                    }
                }
                return try CSCSecretBody.splice(object, parts: parts)
            }
        }
    }

    private static func reading<T>(_ secret: CSCSecret?, _ body: ([UInt8]?) throws -> T) throws -> T {
        guard let secret else { return try body(nil) }
        return try secret.consume { try body($0) }
    }

    static func check(hashes: [[UInt8]], algorithm: CSCHashAlgorithm) throws {
        guard !hashes.isEmpty else { throw CSCError.invalidRequest("no hash to sign") }
        for hash in hashes where hash.count != algorithm.digestLength {
            throw CSCError.invalidRequest("a \(algorithm) hash is \(algorithm.digestLength) bytes, not \(hash.count)")
        }
    }
}
