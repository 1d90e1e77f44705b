import SwiftASN1

/// Certificates inside a PKCS#7 / CMS SignedData, as `.p7b` bundles and Windows exports carry them.
///
/// Read with swift-asn1 rather than X509's CMS SPI: the SPI hands back parsed `Certificate` values and so loses
/// every certificate whose key swift-certificates cannot load (old RSA-1024 ones included), and it is a less
/// stable surface. BER is accepted because some Windows tools write indefinite lengths.
enum PKCS7Bundle {
    private static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 2]

    /// True when the bytes start like a ContentInfo (SEQUENCE whose first element is an OID).
    static func looksLikeBundle(_ bytes: [UInt8]) -> Bool {
        guard let node = try? BER.parse(bytes), case .constructed(let children) = node.content else { return false }
        var iterator = children.makeIterator()
        return iterator.next()?.identifier == .objectIdentifier
    }

    static func certificates(in bytes: [UInt8]) throws(CertificateReadError) -> [[UInt8]] {
        do {
            let root = try BER.parse(bytes)
            let certificateNodes = try BER.sequence(root, identifier: .sequence) { nodes in
                let contentType = try ASN1ObjectIdentifier(berEncoded: &nodes)
                guard contentType == signedData else {
                    throw CertificateReadError(.malformedPKCS7, "PKCS#7 content is \(contentType), not SignedData")
                }
                return try BER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { content in
                    try BER.sequence(content, identifier: .sequence) { fields in
                        _ = try Int(berEncoded: &fields)  // version
                        _ = fields.next()  // digestAlgorithms
                        _ = fields.next()  // encapContentInfo
                        var certificates: [ASN1Node] = []
                        while let field = fields.next() {
                            // certificates [0] IMPLICIT SET OF CertificateChoices; crls [1] and signerInfos follow.
                            if field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                                case .constructed(let choices) = field.content
                            {
                                certificates = choices.filter { $0.identifier == .sequence }
                            }
                        }
                        return certificates
                    }
                }
            }
            let found = certificateNodes.map { Array($0.encodedBytes) }
            for (number, der) in found.enumerated() {
                do {
                    _ = try CertificateFields(derEncoded: der)
                } catch {
                    throw CertificateReadError(
                        .malformedPKCS7, "certificate \(number + 1) in the PKCS#7 bundle is not valid DER: \(error)")
                }
            }
            guard !found.isEmpty else {
                throw CertificateReadError(.noCertificate, "the PKCS#7 bundle holds no certificate")
            }
            return found
        } catch let error as CertificateReadError {
            throw error
        } catch {
            throw CertificateReadError(.malformedPKCS7, "not a readable PKCS#7 bundle: \(error)")
        }
    }
}
