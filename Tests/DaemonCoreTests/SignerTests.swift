import Crypto
import Foundation
@testable import KysoDaemon
import KysoAPI
import KysoCore
import Logging
import Testing

/// The signer against a fake key backend: planning, the backend seam, and the check of every signature against
/// its certificate, with no token and no socket.
@Suite("the signer behind the key-backend seam")
struct SignerTests {
    let certificate: FakeCertificate
    let inventory: Inventory
    let tokenId: String
    let backend: FakeKeyBackend
    let signer: Signer

    init() throws {
        certificate = try FakeCertificate()
        (inventory, tokenId) = fakeInventory(with: certificate)
        backend = FakeKeyBackend(tokenIds: [tokenId], keys: [certificate.sha256: certificate.key])
        signer = Signer(inventory: inventory, backends: [backend], logger: Logger(label: "test"))
    }

    func order(_ content: SignatureOrder.Content, output: SignatureOutput = .raw, pin: SecretBytes? = "123456") -> SignatureOrder {
        SignatureOrder(tokenId: tokenId, certificate: nil, content: content, mechanism: .ecdsaSHA256, output: output,
                       authorization: KeyAuthorization(caller: 0, pin: pin, allowFinalTry: false))
    }

    @Test("a raw ECDSA signature from data and from a digest verifies with the certificate's key")
    func raw() async throws {
        let message = Array("tờ khai hải quan".utf8)
        for content in [SignatureOrder.Content.data(message), .digest(Array(SHA256.hash(data: message)))] {
            let signature = try await signer.sign(order(content)).get()
            let parsed = try P256.Signing.ECDSASignature(derRepresentation: signature.bytes)
            #expect(certificate.key.publicKey.isValidSignature(parsed, for: SHA256.hash(data: message)))
            #expect(signature.certificateSHA256 == certificate.sha256 && signature.mechanism == .ecdsaSHA256)
        }
        #expect(backend.uses.withLock { $0 } == 2)
    }

    @Test("CMS output is built through the backend's key")
    func cms() async throws {
        let signature = try await signer.sign(order(.data(Array("tờ khai".utf8)), output: .cms)).get()
        #expect(signature.output == .cms && signature.bytes.first == 0x30)
        #expect(backend.uses.withLock { $0 } == 1)
    }

    @Test("CMS over a caller's digest verifies over the data with swift-certificates, like CMS over the data")
    func cmsOverDigest() async throws {
        let message = Array("tờ khai hải quan, đính kèm".utf8)
        let signature = try await signer.sign(order(.digest(Array(SHA256.hash(data: message))), output: .cms)).get()
        #expect(signature.output == .cms)
        #expect(await DetachedCMS.signerCertificate(signature.bytes, data: message) == certificate.der)
        #expect(await DetachedCMS.signerCertificate(signature.bytes, data: message + [0]) == nil)
    }

    @Test("refused before the backend is asked: unknown token, short digest, the registration context")
    func refusedFirst() async {
        var unknown = order(.data([1]))
        unknown.tokenId = "0000000000000000"
        #expect(await signer.sign(unknown).failureCode == .tokenNotFound)
        #expect(await signer.sign(order(.digest([1, 2, 3]))).failureCode == .badRequest)
        let reserved = RegistrationSigning.signedContent(statement: Array("{}".utf8))
        #expect(await signer.sign(order(.data(reserved))).failureCode == .registrationContext)
        #expect(backend.uses.withLock { $0 } == 0)
    }

    @Test("a backend failure reaches the caller as it is; a key that does not match its certificate is caught")
    func failures() async throws {
        backend.failNext(with: OperationFailure(.tokenRemoved, "pulled"))
        #expect(await signer.sign(order(.data([1]))) .failureCode == .tokenRemoved)
        backend.failNext(with: nil)
        #expect(await signer.sign(order(.data([1]), pin: "000000")).failureCode == .pinIncorrect)
        backend.replaceKey(of: certificate.sha256, with: P256.Signing.PrivateKey())
        #expect(await signer.sign(order(.data([1]))).failureCode == .keyCertificateMismatch)
    }

    @Test("logout reaches every backend")
    func logout() {
        signer.dropLogins(tokenId: tokenId)
        signer.dropLogins()
        #expect(backend.forgotten.withLock { $0 } == [tokenId, nil])
    }
}
