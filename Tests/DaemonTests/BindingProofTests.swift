import Crypto
import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import SwiftASN1
import Testing
@_spi(CMS) import X509

/// Issue 18, item 9: a binding needs a registration proof that only `POST /v1/registrations` makes, that is fresh
/// and used once, over a certificate from a known CA (unless configured otherwise).
@Suite("binding proofs through kysod")
struct BindingProofTests {
    static let context = Data("kyso-registration-v1\0".utf8)

    static func bind(_ client: KysoClient, _ statement: Data, _ signature: Data) async throws -> KysoClient.Response {
        try await AccountAPITests.post(client, "/v1/bindings", BindingCreateRequest(statement: statement, signature: signature))
    }

    static func code(_ response: KysoClient.Response) -> String? { response.decodeProblem()?.code }

    /// A CMS with no signed attributes around a raw signature of the content: what anyone holding a raw signature
    /// can assemble (the CMS then verifies as a signature of that content by the certificate).
    static func wrap(rawSignature: Data, certificate: Data) throws -> Data {
        Data(try CMS.sign(
            signatureBytes: ASN1OctetString(contentBytes: ArraySlice(rawSignature)), signatureAlgorithm: .sha256WithRSAEncryption,
            certificate: try Certificate(derEncoded: Array(certificate))))
    }

    @Test("a statement signed through the plain sign endpoint (raw or CMS, data or digest) is refused by bind")
    func plainSignaturesAreNoProof() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        let certificate = try #require(token.certificates.first)
        let registration = try await AccountAPITests.register(client, token: token, userId: "VNPT2001", terminalId: "TERM01")
        // Built by hand: a canonical statement for another User ID that the registration endpoint never signed.
        let forged = Data(registration.statementText.replacingOccurrences(of: "VNPT2001", with: "VNPT2002").utf8)
        func sign(_ request: SignRequest) async throws -> KysoClient.Response {
            try await AccountAPITests.post(client, "/v1/tokens/\(token.id)/sign", request)
        }

        // CMS output over the bare statement: what the review bound.
        let cms = try await sign(SignRequest(certificate: certificate.sha256, data: forged, output: .cms, pin: "123456"))
        #expect(cms.status == 200)
        let byCMS = try await Self.bind(client, forged, try cms.decode(SignResponse.self).signature)
        #expect(byCMS.status == 422 && Self.code(byCMS) == "signature-invalid", "\(String(decoding: byCMS.body, as: UTF8.self))")

        // Raw output over the bare statement, wrapped in a CMS by hand.
        let raw = try await sign(SignRequest(certificate: certificate.sha256, data: forged, mechanism: .rsaPKCS1SHA256, pin: "123456"))
        #expect(raw.status == 200)
        let wrapped = try Self.wrap(rawSignature: try raw.decode(SignResponse.self).signature, certificate: certificate.der)
        let byRaw = try await Self.bind(client, forged, wrapped)
        #expect(byRaw.status == 422 && Self.code(byRaw) == "signature-invalid", "\(String(decoding: byRaw.body, as: UTF8.self))")

        // Data beginning with the registration context is refused by the plain endpoint, raw and CMS.
        for output in [SignatureOutput.raw, .cms] {
            let refused = try await sign(SignRequest(certificate: certificate.sha256, data: Self.context + forged, output: output, pin: "123456"))
            #expect(refused.status == 400 && Self.code(refused) == "registration-context", "\(output): \(refused.status)")
        }

        // A digest is signed blind: a raw signature of SHA-256(context ‖ statement), wrapped by hand, verifies as a
        // registration signature, but the statement was never issued by the registration endpoint.
        let digest = Data(SHA256.hash(data: Self.context + forged))
        let blind = try await sign(SignRequest(certificate: certificate.sha256, digest: digest, mechanism: .rsaPKCS1SHA256, pin: "123456"))
        #expect(blind.status == 200)
        let byDigest = try await Self.bind(client, forged, try Self.wrap(rawSignature: try blind.decode(SignResponse.self).signature, certificate: certificate.der))
        #expect(byDigest.status == 422 && Self.code(byDigest) == "statement-not-issued", "\(String(decoding: byDigest.body, as: UTF8.self))")

        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)
        // The registration endpoint's own proof still binds.
        let bound = try await Self.bind(client, registration.statement, registration.signature)
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")
        try await daemon.stop()
    }

    @Test("a statement bound, unbound and offered again is refused")
    func boundStatementsAreNotReplayed() async throws {
        let (daemon, _, client) = try await startDaemonOnLab()
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        let registration = try await AccountAPITests.register(client, token: token, userId: "VNPT3001", terminalId: "TERM01")
        #expect(try await Self.bind(client, registration.statement, registration.signature).status == 201)
        #expect(try await client.request(.DELETE, "/v1/bindings/VNPT3001").status == 204)
        let again = try await Self.bind(client, registration.statement, registration.signature)
        #expect(again.status == 409 && Self.code(again) == "statement-already-used", "\(String(decoding: again.body, as: UTF8.self))")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)
        // A new registration (a fresh nonce, so new bytes) binds the same account again.
        let certificate = try #require(token.certificates.first)
        let fresh = try await AccountAPITests.post(client, "/v1/registrations", RegistrationRequest(
            role: .declarant, taxCode: try #require(certificate.profile.taxCode?.value), userId: "VNPT3001", terminalId: "TERM01",
            certificate: certificate.sha256, pin: "123456")).decode(RegistrationResponse.self)
        #expect(try await Self.bind(client, fresh.statement, fresh.signature).status == 201)
        try await daemon.stop()
    }

    @Test("a statement older than bindings.statementMaxAgeSeconds is refused")
    func oldStatementsAreRefused() async throws {
        let (daemon, _, client) = try await startDaemonOnLab(configuration: #"{"bindings": {"statementMaxAgeSeconds": 2}}"#)
        let token = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        let registration = try await AccountAPITests.register(client, token: token, userId: "VNPT4001", terminalId: "TERM01")
        try await Task.sleep(for: .milliseconds(3500))
        let old = try await Self.bind(client, registration.statement, registration.signature)
        #expect(old.status == 422 && Self.code(old) == "statement-time-invalid", "\(String(decoding: old.body, as: UTF8.self))")
        #expect(try await client.get("/v1/bindings", as: BindingListResponse.self).bindings.isEmpty)
        try await daemon.stop()
    }

    @Test("bindings settings out of range or of the wrong type stop kysod with a message naming them")
    func bindingSettingsAreValidated() async throws {
        let cases = [
            (#"{"bindings": {"statementMaxAgeSeconds": 0}}"#, "bindings.statementMaxAgeSeconds must be between 1 and 86400"),
            (#"{"bindings": {"statementMaxAgeSeconds": -5}}"#, "bindings.statementMaxAgeSeconds must be between 1 and 86400"),
            (#"{"bindings": {"statementMaxAgeSeconds": 1e300}}"#, "bindings.statementMaxAgeSeconds must be between 1 and 86400"),
            (#"{"bindings": {"statementMaxAgeSeconds": 86401}}"#, "bindings.statementMaxAgeSeconds must be between 1 and 86400"),
            (#"{"bindings": {"allowUnknownCAs": "yes"}}"#, "allowUnknownCAs"),
            (#"{"bindings": {"allowUnknownCA": true}}"#, #"unknown key "bindings.allowUnknownCA""#),
        ]
        for (configuration, message) in cases {
            await #expect(performing: {
                _ = try await DaemonProcess(arguments: ["--no-registered-modules", "--no-pcsc"], configuration: configuration)
            }, throws: { "\($0)".contains(message) })
        }
    }

    @Test("a self-signed certificate is refused for admin and declarant accounts by default, accepted with allowUnknownCAs")
    func unknownCAsArePolicy() async throws {
        let (lab, manifest) = try await Lab.copy()
        let vnpt = try #require(manifest.tokens.first { $0.label == "kyso-vnpt" })
        let taxCode = try #require(vnpt.certificates.first?.taxCode)
        try Self.addSelfSignedToken(lab: lab, label: "rogue-self-signed", taxCode: taxCode)
        let environment = ["SOFTHSM2_CONF": lab.appendingPathComponent("softhsm2.conf").path]
        let arguments = ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc"]

        // With the setting: registered and bound, and the answers say unknown-ca.
        let lenient = try await DaemonProcess(arguments: arguments, configuration: #"{"bindings": {"allowUnknownCAs": true}}"#, environment: environment)
        let client = KysoClient(socketPath: lenient.socketPath)
        let rogue = try #require(try await client.get("/v1/tokens", as: TokenListResponse.self).tokens.first { $0.label == "rogue-self-signed" })
        let certificate = try #require(rogue.certificates.first)
        #expect(certificate.profile.provider.provider == .unknown)
        func register(_ request: RegistrationRequest, on client: KysoClient) async throws -> KysoClient.Response {
            try await AccountAPITests.post(client, "/v1/registrations", request)
        }
        let declarant = RegistrationRequest(role: .declarant, taxCode: taxCode, userId: "ROGU1001", terminalId: "TERM01",
                                            certificate: certificate.sha256, pin: "123456")
        let admin = RegistrationRequest(role: .admin, taxCode: taxCode, certificate: certificate.sha256, pin: "123456")
        let declarantProof = try await register(declarant, on: client)
        #expect(declarantProof.status == 200 && String(decoding: declarantProof.body, as: UTF8.self).contains(#""unknown-ca""#))
        let adminProof = try await register(admin, on: client)
        #expect(adminProof.status == 200)
        let declarantStatement = try declarantProof.decode(RegistrationResponse.self)
        let bound = try await Self.bind(client, declarantStatement.statement, declarantStatement.signature)
        #expect(bound.status == 201 && String(decoding: bound.body, as: UTF8.self).contains(#""warnings":["unknown-ca"]"#),
                "\(String(decoding: bound.body, as: UTF8.self))")
        #expect(try await lenient.stop() == 0)

        // Without it (the default), on the same state: the admin statement signed before is refused at bind, and
        // new registrations are refused before the token is asked.
        let strict = try await DaemonProcess(
            arguments: arguments + ["--state-dir", lenient.directory.appendingPathComponent("state").path], environment: environment)
        let strictClient = KysoClient(socketPath: strict.socketPath)
        let adminStatement = try adminProof.decode(RegistrationResponse.self)
        let refused = try await Self.bind(strictClient, adminStatement.statement, adminStatement.signature)
        #expect(refused.status == 422 && Self.code(refused) == "unknown-ca", "\(String(decoding: refused.body, as: UTF8.self))")
        for request in [admin, RegistrationRequest(role: .declarant, taxCode: taxCode, userId: "ROGU1002", terminalId: "TERM02",
                                                   certificate: certificate.sha256, pin: "123456")] {
            let response = try await register(request, on: strictClient)
            #expect(response.status == 422 && Self.code(response) == "unknown-ca", "\(request.role): \(response.status)")
        }
        #expect(try await strictClient.get("/v1/bindings", as: BindingListResponse.self).bindings.map(\.account) == ["ROGU1001"])
        try await strict.stop()
    }

    /// A SoftHSM token holding a software key and a certificate that key signed itself, naming `taxCode`: what the
    /// review made with openssl and imported.
    static func addSelfSignedToken(lab: URL, label: String, taxCode: String) throws {
        let environment = ["SOFTHSM2_CONF": lab.appendingPathComponent("softhsm2.conf").path]
        let key = lab.appendingPathComponent("\(label).key.pem").path
        let pem = lab.appendingPathComponent("\(label).pem").path
        let der = lab.appendingPathComponent("\(label).der").path
        _ = try Shell.run("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pem, "-days", "30", "-utf8",
            "-subj", "/C=VN/O=CONG TY ROGUE/CN=CONG TY ROGUE/UID=MST:\(taxCode)",
            "-addext", "keyUsage=critical,digitalSignature,nonRepudiation",
        ])
        _ = try Shell.run("openssl", ["x509", "-in", pem, "-outform", "DER", "-out", der])
        _ = try Shell.run("softhsm2-util", ["--init-token", "--free", "--label", label, "--pin", "123456", "--so-pin", "12345678"],
                          environment: environment)
        _ = try Shell.run("softhsm2-util", ["--import", key, "--token", label, "--label", label, "--id", "01", "--pin", "123456"],
                          environment: environment)
        _ = try Shell.run("pkcs11-tool", ["--module", Lab.softHSMModule, "--token-label", label, "--login", "--pin", "123456",
                                          "--write-object", der, "--type", "cert", "--id", "01", "--label", label],
                          environment: environment)
    }
}
