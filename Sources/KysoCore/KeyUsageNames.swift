import SwiftASN1
import X509

/// Names for key usage bits and extended key usages, as RFC 5280 and OpenSSL spell them.
enum KeyUsageNames {
    static func keyUsage(_ usage: KeyUsage) -> [String] {
        [
            (usage.digitalSignature, "digitalSignature"), (usage.nonRepudiation, "nonRepudiation"),
            (usage.keyEncipherment, "keyEncipherment"), (usage.dataEncipherment, "dataEncipherment"),
            (usage.keyAgreement, "keyAgreement"), (usage.keyCertSign, "keyCertSign"), (usage.cRLSign, "cRLSign"),
            (usage.encipherOnly, "encipherOnly"), (usage.decipherOnly, "decipherOnly"),
        ].filter(\.0).map(\.1)
    }

    static func extendedKeyUsage(_ usages: ExtendedKeyUsage) -> [String] {
        usages.map { usage in
            let oid = ASN1ObjectIdentifier(usage).description
            return extended[oid] ?? oid
        }
    }

    private static let extended: [String: String] = [
        "1.3.6.1.5.5.7.3.1": "serverAuth", "1.3.6.1.5.5.7.3.2": "clientAuth", "1.3.6.1.5.5.7.3.3": "codeSigning",
        "1.3.6.1.5.5.7.3.4": "emailProtection", "1.3.6.1.5.5.7.3.8": "timeStamping", "1.3.6.1.5.5.7.3.9": "ocspSigning",
        "2.5.29.37.0": "anyExtendedKeyUsage", "1.3.6.1.4.1.311.20.2.2": "smartcardLogon",
        "1.3.6.1.4.1.311.10.3.12": "documentSigning", "1.3.6.1.5.5.7.3.36": "documentSigning",
        "1.3.6.1.4.1.311.10.3.4": "encryptingFileSystem",
    ]
}
