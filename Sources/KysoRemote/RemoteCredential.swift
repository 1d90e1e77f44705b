public import Foundation
public import KysoCore
import X509

/// A credential of a remote signing service, read like a token's certificate: the same `CertificateProfile`
/// (tax code, issuing CA, validity), plus what the service says about its key and authorisation.
public struct RemoteCredential: Sendable {
    public var credentialID: String
    /// The end-entity certificate (DER), first of the chain credentials/info returned.
    public var certificate: [UInt8]
    /// The rest of that chain (issuing CA, then towards the root), DER.
    public var chain: [[UInt8]]
    public var profile: CertificateProfile
    public var keyAlgorithms: [String]
    public var keyLength: Int?
    public var keyEnabled: Bool
    /// The `signAlgo` Kyso will send for this key, nil for a key type it cannot use.
    public var signatureAlgorithm: CSCSignatureAlgorithm?
    public var authorisation: CSCAuthorisation
    /// How many signatures one authorisation may cover (nil: the service did not say).
    public var multisign: Int?
    /// Sole Control Assurance Level: "2" means every authorisation is bound to the hashes it signs.
    public var scal: String?
    public var description: String?

    /// Reads the answer of credentials/info (asked with `certificates: chain`).
    public init(credentialID: String, info: CSCCredentialInfo, now: Date = Date()) throws {
        let method = "credentials/info"
        guard let encoded = info.cert?.certificates, !encoded.isEmpty else {
            throw CSCError.malformedResponse(method: method, reason: "no certificate for credential \(credentialID)")
        }
        var ders: [[UInt8]] = []
        for text in encoded {
            guard let data = Data(base64Encoded: text) else {
                throw CSCError.malformedResponse(method: method, reason: "a certificate is not base64")
            }
            ders.append(Array(data))
        }
        do {
            // swift-certificates checks the end-entity certificate is a certificate it can verify with.
            _ = try Certificate(derEncoded: ders[0])
            profile = try CertificateProfile(derEncoded: ders[0], now: now)
        } catch {
            throw CSCError.malformedResponse(method: method, reason: "certificate unreadable: \(error)")
        }
        self.credentialID = credentialID
        certificate = ders[0]
        chain = Array(ders.dropFirst())
        keyAlgorithms = info.key.algo
        keyLength = info.key.len
        keyEnabled = info.key.status == "enabled"
        signatureAlgorithm = CSCSignatureAlgorithm.forKey(algorithms: info.key.algo)
        authorisation = CSCAuthorisation(info)
        multisign = info.multisign
        scal = info.SCAL
        description = info.description
    }
}
