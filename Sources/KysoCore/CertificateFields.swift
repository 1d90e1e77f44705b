import Foundation
import SwiftASN1
import X509

/// The parts of an X.509 certificate that a profile shows, read with swift-asn1 and swift-certificates' name and
/// extension types.
///
/// Why not `X509.Certificate` alone: it refuses any certificate whose public key it cannot use for verification
/// (RSA under 2048 bits, curves other than P-256/384/521). Older Vietnamese certificates are exactly that, and a
/// declarant must still be able to read their serial number and tax code.
struct CertificateFields {
    var serialNumber: ArraySlice<UInt8>
    var signatureAlgorithm: ASN1ObjectIdentifier
    var innerSignatureAlgorithm: ASN1ObjectIdentifier
    var issuer: DistinguishedName
    var notBefore: Date
    var notAfter: Date
    var subject: DistinguishedName
    var publicKeyAlgorithm: ASN1ObjectIdentifier
    var publicKeyParameters: ASN1Node?
    var publicKeyBits: ArraySlice<UInt8>
    var extensions: Certificate.Extensions

    init(derEncoded bytes: [UInt8]) throws {
        let root = try DER.parse(bytes)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else {
                throw CertificateReadError(.malformedDER, "certificate has no TBSCertificate")
            }
            var fields = try Self.readTBS(tbs)
            fields.signatureAlgorithm = try Self.readAlgorithm(nodes.next()).oid
            _ = try ASN1BitString(derEncoded: &nodes)
            return fields
        }
    }

    private init(
        serialNumber: ArraySlice<UInt8>, innerSignatureAlgorithm: ASN1ObjectIdentifier,
        issuer: DistinguishedName, notBefore: Date, notAfter: Date, subject: DistinguishedName,
        publicKeyAlgorithm: ASN1ObjectIdentifier, publicKeyParameters: ASN1Node?,
        publicKeyBits: ArraySlice<UInt8>, extensions: Certificate.Extensions
    ) {
        self.serialNumber = serialNumber
        self.signatureAlgorithm = innerSignatureAlgorithm
        self.innerSignatureAlgorithm = innerSignatureAlgorithm
        self.issuer = issuer
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subject = subject
        self.publicKeyAlgorithm = publicKeyAlgorithm
        self.publicKeyParameters = publicKeyParameters
        self.publicKeyBits = publicKeyBits
        self.extensions = extensions
    }

    private static func readTBS(_ node: ASN1Node) throws -> CertificateFields {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let version = try DER.decodeDefaultExplicitlyTagged(
                &nodes, tagNumber: 0, tagClass: .contextSpecific, defaultValue: Int(0))
            guard (0...2).contains(version) else {
                throw CertificateReadError(.malformedDER, "unknown X.509 version \(version + 1)")
            }
            let serial = try integerOctets(nodes.next())
            let inner = try readAlgorithm(nodes.next()).oid
            let issuer = try DistinguishedName(derEncoded: required(nodes.next(), "issuer"))
            let (notBefore, notAfter) = try children(nodes.next()).validityPair()
            let subject = try DistinguishedName(derEncoded: required(nodes.next(), "subject"))
            let (keyAlgorithm, keyBits) = try children(nodes.next()).publicKeyInfo()
            var extensions: [Certificate.Extension] = []
            // issuerUniqueID [1] and subjectUniqueID [2] carry nothing a declarant reads; extensions are [3].
            while let optional = nodes.next() {
                guard optional.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific),
                    case .constructed(let wrapped) = optional.content
                else { continue }
                var inside = wrapped.makeIterator()
                guard let list = inside.next(), inside.next() == nil else {
                    throw CertificateReadError(.malformedDER, "extensions field is malformed")
                }
                extensions = try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: list)
            }
            return CertificateFields(
                serialNumber: serial, innerSignatureAlgorithm: inner, issuer: issuer,
                notBefore: notBefore, notAfter: notAfter, subject: subject,
                publicKeyAlgorithm: keyAlgorithm.oid, publicKeyParameters: keyAlgorithm.parameters,
                publicKeyBits: keyBits, extensions: try Certificate.Extensions(extensions))
        }
    }

    /// The INTEGER's content octets exactly as encoded: the serial users compare keeps DER's leading `00`
    /// (swift-asn1's integer decoding drops it).
    private static func integerOctets(_ node: ASN1Node?) throws -> ArraySlice<UInt8> {
        guard let node, node.identifier == .integer, case .primitive(let octets) = node.content, !octets.isEmpty else {
            throw CertificateReadError(.malformedDER, "serial number is not an INTEGER")
        }
        return octets
    }

    private static func required(_ node: ASN1Node?, _ field: String) throws -> ASN1Node {
        guard let node else { throw CertificateReadError(.malformedDER, "certificate has no \(field)") }
        return node
    }

    /// The elements of a SEQUENCE.
    private static func children(_ node: ASN1Node?) throws -> [ASN1Node] {
        guard let node, node.identifier == .sequence, case .constructed(let elements) = node.content else {
            throw CertificateReadError(.malformedDER, "expected a SEQUENCE in the certificate")
        }
        return Array(elements)
    }

    /// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
    static func readAlgorithm(_ node: ASN1Node?) throws -> (oid: ASN1ObjectIdentifier, parameters: ASN1Node?) {
        guard let node else { throw CertificateReadError(.malformedDER, "algorithm identifier missing") }
        return try DER.sequence(node, identifier: .sequence) { inner in
            let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
            return (oid, inner.next())
        }
    }
}

extension Array where Element == ASN1Node {
    fileprivate func validityPair() throws -> (Date, Date) {
        guard count == 2 else { throw CertificateReadError(.malformedDER, "validity must hold two times") }
        return (try self[0].certificateTime(), try self[1].certificateTime())
    }

    fileprivate func publicKeyInfo() throws
        -> ((oid: ASN1ObjectIdentifier, parameters: ASN1Node?), ArraySlice<UInt8>)
    {
        guard count == 2 else { throw CertificateReadError(.malformedDER, "public key info is malformed") }
        let identifier = try CertificateFields.readAlgorithm(self[0])
        let bits = try ASN1BitString(derEncoded: self[1])
        return (identifier, bits.bytes)
    }
}
