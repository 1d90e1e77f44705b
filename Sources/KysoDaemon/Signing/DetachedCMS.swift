@_spi(CMS) import X509
import Foundation
import SwiftASN1

/// Detached CMS SignedData (RFC 5652) with content-type, message-digest and signing-time signed attributes and
/// the signer's certificate, built by swift-certificates. Its CMS API is SPI, so it is used in this file only.
enum DetachedCMS {
    static func sign(_ data: [UInt8], certificate: Certificate, key: TokenPrivateKey, signingTime: Date) throws -> [UInt8] {
        try CMS.sign(
            data, signatureAlgorithm: key.defaultSignatureAlgorithm, certificate: certificate,
            privateKey: Certificate.PrivateKey(key), signingTime: signingTime, detached: true)
    }

}
