import Foundation
import KysoCore
import Testing

@Suite struct CertificateFileContentsTests {
    private func sha256s(_ certificates: [[UInt8]]) throws -> [String] {
        try certificates.map { try CertificateProfile(derEncoded: $0).fingerprints.sha256 }
    }

    @Test func readsPEMBlocksInFileOrder() throws {
        let found = try CertificateFileContents.certificates(in: Fixtures.bytes("lab-chain.pem"))
        #expect(try sha256s(found) == Fixtures.manifest.bundles["lab-chain.pem"])
    }

    @Test func readsEveryCertificateOfPKCS7() throws {
        // DER sorts a SET OF by encoding, so the bundle's order is not the order the certificates were given in.
        let found = try CertificateFileContents.certificates(in: Fixtures.bytes("lab-chain.p7b"))
        #expect(try sha256s(found).sorted() == Fixtures.manifest.bundles["lab-chain.p7b"]?.sorted())
    }

    @Test func readsSingleDER() throws {
        let der = Fixtures.bytes("fpt-person-ec.der")
        #expect(try CertificateFileContents.certificates(in: der) == [der])
    }

    @Test func readsPKCS7InsidePEM() throws {
        let p7b = Data(Fixtures.bytes("lab-chain.p7b")).base64EncodedString(options: .lineLength64Characters)
        let pem = "-----BEGIN PKCS7-----\n\(p7b)\n-----END PKCS7-----\n"
        #expect(try CertificateFileContents.certificates(in: Array(pem.utf8)).count == 3)
    }

    @Test func skipsOtherPEMBlocks() throws {
        let pem = String(decoding: Fixtures.bytes("lab-chain.pem"), as: UTF8.self)
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        #expect(try CertificateFileContents.certificates(in: Array((key + pem).utf8)).count == 3)
    }

    private func expectError(_ bytes: [UInt8], _ code: CertificateReadError.Code) {
        #expect {
            _ = try CertificateFileContents.certificates(in: bytes)
        } throws: { error in
            (error as? CertificateReadError)?.code == code && !((error as? CertificateReadError)?.reason.isEmpty ?? true)
        }
    }

    @Test func explainsUnreadableInput() {
        let pem = String(decoding: Fixtures.bytes("lab-chain.pem"), as: UTF8.self)
        let der = Fixtures.bytes("vnpt-organisation.der")
        expectError([], .empty)
        expectError(Array("hello, not a certificate".utf8), .noCertificate)
        expectError(Array(pem.prefix(pem.count / 2).utf8), .malformedPEM)  // truncated: BEGIN without END
        expectError(Array("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".utf8), .malformedPEM)
        expectError(Array("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8), .noCertificate)
        expectError(Array(der.prefix(der.count - 10)), .malformedDER)
        expectError(der + [0x00], .malformedDER)
        expectError([UInt8](repeating: 0xFF, count: 16), .noCertificate)
        expectError([UInt8](repeating: 0x30, count: CertificateFileContents.maximumSize + 1), .tooLarge)
    }

    @Test func survivesDeepNestingAndHugeLengths() {
        // 100 000 nested SEQUENCE headers with indefinite length, then a claimed length of 2^63.
        var nested: [UInt8] = []
        for _ in 0..<100_000 { nested += [0x30, 0x80] }
        expectError(nested, .malformedDER)
        expectError([0x30, 0x88, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00], .malformedDER)
    }
}
