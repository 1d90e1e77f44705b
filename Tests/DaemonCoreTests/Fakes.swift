import Crypto
import Foundation
@testable import KysoDaemon
import KysoAPI
import KysoCore
@testable import TokenScan
import KysoStore
import PKCS11
import SwiftASN1
import Synchronization
import X509

/// A key backend with software keys: what the daemon core sees of a token, without PKCS#11. It counts its uses
/// and can be told to fail, so the signer, the accounts and the router are tested on their own.
final class FakeKeyBackend: KeyBackend {
    let tokenIds: Set<String>
    /// The key each certificate's operations use (a wrong one makes a key that does not match its certificate).
    private let keys: Mutex<[String: P256.Signing.PrivateKey]>
    private let failure = Mutex<OperationFailure?>(nil)
    let uses = Mutex(0)
    let forgotten = Mutex<[String?]>([])

    init(tokenIds: Set<String>, keys: [String: P256.Signing.PrivateKey]) {
        self.tokenIds = tokenIds
        self.keys = Mutex(keys)
    }

    func failNext(with failure: OperationFailure?) { self.failure.withLock { $0 = failure } }
    func replaceKey(of certificate: String, with key: P256.Signing.PrivateKey) { keys.withLock { $0[certificate] = key } }

    func holds(tokenId: String) -> Bool { tokenIds.contains(tokenId) }

    func withKey<T: Sendable>(_ key: KeyReference, authorization: KeyAuthorization,
                              _ body: @escaping @Sendable (any KeyOperations) throws -> T) async -> Result<KeyUse<T>, OperationFailure> {
        uses.withLock { $0 += 1 }
        if let failure = failure.withLock({ $0 }) { return .failure(failure) }
        guard authorization.pin?.bytes == Array("123456".utf8) else { return .failure(OperationFailure(.pinIncorrect, "fake: wrong PIN")) }
        guard let privateKey = keys.withLock({ $0[key.certificateSHA256] }) else { return .failure(OperationFailure(.noPrivateKey)) }
        do {
            let value = try body(SoftwareKeyOperations(key: privateKey))
            return .success(KeyUse(value: value, pin: PINStatus(locked: false, finalTry: false, countLow: false), warning: nil, cachedLogin: false))
        } catch {
            return .failure(OperationFailure(.signingFailed, "\(error)"))
        }
    }

    func forgetAuthorizations(tokenId: String?) { forgotten.withLock { $0.append(tokenId) } }
}

struct SoftwareKeyOperations: KeyOperations {
    let key: P256.Signing.PrivateKey

    func sign(_ mechanism: SignatureMechanism, message: [UInt8]?, digest: [UInt8]) throws -> [UInt8] {
        guard mechanism == .ecdsaSHA256 else { throw KeyOperationError.notPermitted("fake: ECDSA only") }
        return Array(try key.signature(for: SHA256Digest(bytes: digest)).derRepresentation)
    }

    func decryptOAEP(_ hash: OAEPHash, ciphertext: [UInt8]) throws -> [UInt8] {
        throw KeyOperationError.notPermitted("fake: an EC key does not decrypt")
    }
}

/// A declarant's P-256 certificate, self-signed, with the tax code in its subject as Vietnamese CAs write it.
struct FakeCertificate {
    let key = P256.Signing.PrivateKey()
    let der: [UInt8]
    let sha256: String

    init(taxCode: String = "0101234565", commonName: String = "CÔNG TY TNHH KYSO THỬ NGHIỆM") throws {
        let name = try DistinguishedName {
            CountryName("VN")
            CommonName(commonName)
        }
        var withUID = Array(name)
        withUID.append(RelativeDistinguishedName(
            RelativeDistinguishedName.Attribute(type: [0, 9, 2342, 19200300, 100, 1, 1], utf8String: "MST:\(taxCode)")))
        let subject = DistinguishedName(withUID)
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 86_400,
            notValidAfter: now + 365 * 86_400, issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { KeyUsage(digitalSignature: true, nonRepudiation: true) },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        der = serializer.serializedBytes
        sha256 = Hex.lowercase(SHA256.hash(data: der))
    }
}

/// An inventory holding one fake token with `certificate` and its key, as a module scan would show it.
func fakeInventory(with certificate: FakeCertificate, serial: String = "FAKE0001") -> (Inventory, tokenId: String) {
    let inventory = Inventory()
    let info = TokenInfo(label: "kyso-fake", manufacturerID: "Kyso", model: "fake", serialNumber: serial,
                         flags: [.tokenInitialized, .loginRequired, .userPINInitialized])
    let scanned = ScannedToken(
        moduleName: "fake", modulePath: "/fake.so", slot: 1, slotDescription: "fake slot", info: info,
        uri: "pkcs11:token=kyso-fake",
        certificates: [ScannedCertificate(objectID: [1], label: "declarant", der: certificate.der, uri: "pkcs11:id=%01",
                                          keyEvidence: .privateKeyObject, privateKeyURI: "pkcs11:id=%01;type=private")],
        readError: nil)
    inventory.moduleLoaded(key: "fake", name: "fake", path: "/fake.so", watch: .polling)
    inventory.apply(moduleKey: "fake", moduleName: "fake", tokens: [scanned])
    return (inventory, inventory.tokens[0].id)
}
