import Foundation
import SwiftASN1
import X509

/// Detached CMS SignedData (RFC 5652) over a SHA-256 digest the caller computed, so a file of any size is signed
/// without sending it to kysod. swift-certificates' CMS signs only data it hashes itself and keeps its CMS types
/// internal, so the few structures are written here with SwiftASN1's DER serializer. The result is the same shape as
/// `DetachedCMS.sign`: content-type, message-digest and signing-time signed attributes, the signer's certificate,
/// issuer-and-serial signer identifier, SHA-256.
///
/// A digest gives a caller nothing a raw signature over a digest did not: the CMS signature is the key's signature
/// over SHA-256 of the signed attributes, which a caller could already build and have signed raw. The registration
/// proof's guard is the statement ledger (issued by this kysod, used once), not the reserved context alone.
enum DigestCMS {
    static func sign(digest: [UInt8], certificate: Certificate, key: BackendPrivateKey, signingTime: Date) throws -> [UInt8] {
        precondition(digest.count == 32)
        let attributes = try signedAttributes(digest: digest, signingTime: signingTime)
        // RFC 5652 5.4: the signature covers the DER of the attributes as a SET OF (tag 0x31); the SignerInfo carries
        // the same content under [0] IMPLICIT.
        var set = DER.Serializer()
        try set.serializeSetOf(attributes)
        let signature = try key.rawSignature(over: set.serializedBytes)
        let signatureAlgorithm: ASN1ObjectIdentifier = key.isEC ? OID.ecdsaWithSHA256 : OID.sha256WithRSAEncryption

        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { contentInfo in
            try contentInfo.serialize(OID.signedData)
            try contentInfo.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { signedData in
                    try signedData.serialize(1)
                    try signedData.appendConstructedNode(identifier: .set) { try sha256Identifier(&$0) }
                    try signedData.appendConstructedNode(identifier: .sequence) { try $0.serialize(OID.data) }
                    try signedData.serializeSetOf([certificate], identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                    try signedData.appendConstructedNode(identifier: .set) { signerInfos in
                        try signerInfos.appendConstructedNode(identifier: .sequence) { signerInfo in
                            try signerInfo.serialize(1)
                            try signerInfo.appendConstructedNode(identifier: .sequence) { issuerAndSerial in
                                try issuerAndSerial.serialize(certificate.issuer)
                                try issuerAndSerial.serialize(certificate.serialNumber.bytes)
                            }
                            try sha256Identifier(&signerInfo)
                            try signerInfo.serializeSetOf(attributes, identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                            try signerInfo.appendConstructedNode(identifier: .sequence) { algorithm in
                                try algorithm.serialize(signatureAlgorithm)
                                if !key.isEC { try algorithm.serialize(ASN1Null()) }
                            }
                            try signerInfo.serialize(ASN1OctetString(contentBytes: ArraySlice(signature)))
                        }
                    }
                }
            }
        }
        return out.serializedBytes
    }

    /// One signed attribute: its type and its single value.
    struct Attribute: DERSerializable {
        let type: ASN1ObjectIdentifier
        let value: any DERSerializable

        func serialize(into coder: inout DER.Serializer) throws {
            try coder.appendConstructedNode(identifier: .sequence) { attribute in
                try attribute.serialize(type)
                try attribute.appendConstructedNode(identifier: .set) { try value.serialize(into: &$0) }
            }
        }
    }

    static func signedAttributes(digest: [UInt8], signingTime: Date) throws -> [Attribute] {
        let time = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: signingTime)
        let utc = try UTCTime(year: time.year!, month: time.month!, day: time.day!, hours: time.hour!, minutes: time.minute!,
                              seconds: time.second!)
        return [
            Attribute(type: OID.contentType, value: OID.data),
            Attribute(type: OID.messageDigest, value: ASN1OctetString(contentBytes: ArraySlice(digest))),
            Attribute(type: OID.signingTime, value: utc),
        ]
    }

    private static func sha256Identifier(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(OID.sha256) }
    }

    enum OID {
        static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
        static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
        static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
        static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
        static let signingTime: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
        static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    }
}
