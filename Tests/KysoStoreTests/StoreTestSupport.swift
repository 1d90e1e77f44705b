import Crypto
import Foundation
import KysoCore
import KysoStore

/// Bindings built directly (the rules are tested in KysoCoreTests); each certificate fingerprint is derived from a
/// name so tests can share or separate certificates on purpose.
enum Sample {
    static let taxCode = try! TaxCode("0104359717")
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    static func sha256(_ name: String) -> String {
        SHA256.hash(data: Array(name.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func certificate(_ name: String, notAfter: Date = Date(timeIntervalSince1970: 1_798_761_600)) -> BoundCertificate {
        BoundCertificate(
            sha256: sha256(name), serialNumber: "0A" + sha256(name).prefix(6).uppercased(),
            issuer: "CN=VNPT Certification Authority TEST,OU=VNPT-CA Trust Network,O=VNPT Group,C=VN", provider: "vnpt",
            taxCode: taxCode, notBefore: Date(timeIntervalSince1970: 1_704_067_200), notAfter: notAfter,
            holder: CertificateHolder(commonName: "CÔNG TY \(name)", identifiers: ["MST:0104359717", "CCCD:001099012345"]))
    }

    static func declarant(_ userId: String, certificate: String, terminalId: String = "T00001") -> AccountBinding {
        AccountBinding(
            account: .declarant(taxCode: taxCode, userId: try! UserID(userId), terminalId: try! TerminalID(terminalId)),
            certificate: Self.certificate(certificate), statement: Array("statement for \(userId)".utf8),
            signature: [0x30, 0x82] + Array(certificate.utf8), createdAt: now)
    }

    static func admin(certificate: String) -> AccountBinding {
        AccountBinding(
            account: .admin(taxCode: taxCode), certificate: Self.certificate(certificate),
            statement: Array("admin statement".utf8), signature: [0x30, 0x82, 0x01], createdAt: now)
    }

    static func hostSecret(_ userId: String, _ kind: SecretKind = .terminalAccessKey) -> SealedSecret {
        SealedSecret(userId: try! UserID(userId), kind: kind, sealing: .host, ciphertext: [1, 2, 3, 4], createdAt: now)
    }
}
