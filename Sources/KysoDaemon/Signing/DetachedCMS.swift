@_spi(CMS) import X509
import Foundation
import SwiftASN1

/// Detached CMS SignedData (RFC 5652) with content-type, message-digest and signing-time signed attributes and
/// the signer's certificate, built by swift-certificates. Its CMS API is SPI, so it is used in this file only.
enum DetachedCMS {
    static func sign(_ data: [UInt8], certificate: Certificate, key: BackendPrivateKey, signingTime: Date) throws -> [UInt8] {
        try CMS.sign(
            data, signatureAlgorithm: key.defaultSignatureAlgorithm, certificate: certificate,
            privateKey: Certificate.PrivateKey(key), signingTime: signingTime, detached: true)
    }

}

extension DetachedCMS {
    /// The DER of the certificate whose key made this detached signature over `data`, or nil when the signature
    /// does not verify. Chain trust is not judged here (the caller compares the certificate with the one expected):
    /// swift-certificates reports a valid signature whose chain it cannot build as `unableToValidateSigner`.
    static func signerCertificate(_ signature: [UInt8], data: [UInt8]) async -> [UInt8]? {
        let result = await CMS.isValidSignature(dataBytes: data, signatureBytes: signature, trustRoots: CertificateStore([]),
                                                policy: { RFC5280Policy() })
        let signer: Certificate
        switch result {
        case .success(let valid): signer = valid.signer
        case .failure(.unableToValidateSigner(let failure)): signer = failure.signer
        case .failure: return nil
        }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(signer)) != nil else { return nil }
        return serializer.serializedBytes
    }
}
