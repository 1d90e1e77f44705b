import Crypto
import Foundation
import KysoCore
import TokenScan
import PKCS11
import KysoTestSupport
import Testing

@Suite("RFC 7512 URIs")
struct URITests {
    @Test("URIs round-trip through p11-kit's parser and match their token")
    func roundTrip() {
        let token = TokenInfo(label: "Công ty Việt Á; test/1", manufacturerID: "SoftHSM project", model: "SoftHSM v2",
                              serialNumber: "6c4f1b2a9e0d3c57")
        let uri = PKCS11URI(token: token, objectClass: .certificate, objectID: [0x01, 0xab], objectLabel: "Chữ ký số")
        let text = uri.description
        #expect(text.hasPrefix("pkcs11:"))
        #expect(text.contains("type=cert"))
        #expect(text.contains("id=%01%ab") || text.contains("id=%01%AB"))
        let parsed = try? PKCS11URI(parsing: text)
        #expect(parsed == uri)
        #expect(parsed?.matches(token: token) == true)
        let other = TokenInfo(label: "Other", manufacturerID: "SoftHSM project", model: "SoftHSM v2", serialNumber: "1")
        #expect(parsed?.matches(token: other) == false)
    }

    @Test("malformed URIs are refused")
    func malformed() {
        #expect(throws: PKCS11Error.self) { try PKCS11URI(parsing: "http://example.com/") }
        #expect(throws: PKCS11Error.self) { try PKCS11URI(parsing: "pkcs11:id=%zz") }
    }

    @Test("p11tool and pkcs11-tool find the same certificate by the URI Kyso prints")
    func crossCheckWithTools() async throws {
        try await SoftHSMLab.with { lab, module in
            let scan = try TokenScanner.scan(module: module)
            let environment = ["SOFTHSM2_CONF": lab.configPath]
            for token in scan.tokens {
                for certificate in token.certificates {
                    // GnuTLS's p11tool resolves the URI itself and exports the object it names.
                    let pem = try Shell.run("p11tool", ["--provider", SoftHSMLab.modulePath, "--export", certificate.uri],
                                            environment: environment)
                    let exported = try PEMBody.der(String(decoding: pem, as: UTF8.self))
                    #expect(exported == certificate.der, "p11tool found another object for \(certificate.uri)")
                    // OpenSC's pkcs11-tool takes the token and object fields the URI carries.
                    let parsed = try PKCS11URI(parsing: certificate.uri)
                    #expect(parsed.matches(token: token.info))
                    let der = try Shell.run("pkcs11-tool", [
                        "--module", SoftHSMLab.modulePath, "--token-label", try #require(parsed.tokenLabel),
                        "--read-object", "--type", "cert", "--id", Hex.lowercase(try #require(parsed.objectID)),
                    ], environment: environment)
                    #expect(Array(der) == certificate.der)
                }
            }
            // The token URI names exactly one token for p11tool.
            let first = try #require(scan.tokens.first)
            let listing = String(decoding: try Shell.run(
                "p11tool", ["--provider", SoftHSMLab.modulePath, "--list-tokens", first.uri], environment: environment), as: UTF8.self)
            #expect(listing.contains(first.info.serialNumber))
        }
    }
}

enum PEMBody {
    struct NotPEM: Error {}
    static func der(_ pem: String) throws -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw NotPEM() }
        return Array(data)
    }
}
