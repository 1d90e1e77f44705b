import Crypto
import Foundation
import KysoCore
import TokenScan
import PKCS11
import KysoTestSupport
import Testing

@Suite("PKCS#11 against the SoftHSM lab")
struct EnumerationTests {
    @Test("every lab token and certificate is listed with its CKA_ID, fingerprint and key")
    func enumeratesLab() async throws {
        try await SoftHSMLab.with { lab, module in
            let info = try module.info()
            #expect(info.manufacturerID.contains("SoftHSM"))
            let scan = try TokenScanner.scan(module: module)
            #expect(scan.failedSlots.isEmpty)
            // SoftHSM always adds one uninitialised token, where the next token can be created.
            let initialised = scan.tokens.filter { $0.info.flags.contains(.tokenInitialized) }
            #expect(scan.tokens.count == initialised.count + 1)
            #expect(Set(initialised.map(\.info.label)) == Set(lab.manifest.tokens.map(\.label)))
            for expected in lab.manifest.tokens {
                let token = try #require(initialised.first { $0.info.label == expected.label })
                #expect(token.info.serialNumber == expected.serial)
                #expect(token.info.flags.contains(.tokenInitialized))
                #expect(token.info.flags.contains(.loginRequired))
                #expect(token.pinStatus.state == .ok)
                let fingerprints = token.certificates.map { Hex.lowercase(SHA256.hash(data: $0.der)) }
                #expect(Set(fingerprints) == Set(expected.certificates.map(\.sha256)))
                for certificate in expected.certificates {
                    let found = try #require(token.certificates.first { Hex.lowercase(SHA256.hash(data: $0.der)) == certificate.sha256 })
                    #expect(Hex.lowercase(found.objectID) == certificate.idHex)
                    #expect(found.label == certificate.label)
                    // SoftHSM hides private keys until login; the public key of the pair is the evidence.
                    #expect(found.keyEvidence == .publicKeyWithSameID)
                    #expect(found.uri.hasPrefix("pkcs11:"))
                    #expect(found.uri.contains("type=cert"))
                }
            }
        }
    }

    @Test("after login the private key object itself is found by class and CKA_ID")
    func findsPrivateKeyAfterLogin() async throws {
        try await SoftHSMLab.with { lab, module in
            let expected = try #require(lab.manifest.tokens.first { $0.certificates.count == 2 })
            let slot = try #require(try module.slots().first { try module.tokenInfo($0).label == expected.label })
            let session = try module.openSession(slot: slot)
            try session.login(pin: Array(expected.pin.utf8))
            for certificate in expected.certificates {
                let id = try #require(Hex.bytes(certificate.idHex))
                let keys = try session.findObjects(class: .privateKey, id: id)
                #expect(keys.count == 1)
                let certificates = try session.findObjects(class: .certificate, id: id, label: certificate.label)
                #expect(certificates.count == 1)
                #expect(try session.boolAttribute(.sign, of: keys[0]) == true)
                // A private key's value is sensitive: the wrapper says "no value", it does not fail.
                #expect(try session.attribute(.value, of: keys[0]) == nil)
            }
            try session.logout()
        }
    }

    /// SoftHSM reads its token folder at C_Initialize only (its documented behaviour; PKCS#11 allows it), so a
    /// token the lab adds from another process shows after the module is initialised again.
    @Test("a token the lab adds or removes shows in the slot list after re-initialisation")
    func labAddAndRemove() async throws {
        try await SoftHSMLab.with { lab, module in
            func labels() throws -> [String] {
                let fresh = try PKCS11Module.load(path: SoftHSMLab.modulePath)
                defer { fresh.finalize() }
                return try fresh.slots().map { try fresh.tokenInfo($0).label }
            }
            module.finalize()
            let before = try labels()
            try SoftHSMLab.tool(["add-token", lab.directory.path, "--label", "Added during test", "--provider", "fpt"])
            let added = try labels()
            #expect(added.contains("Added during test"))
            #expect(added.count == before.count + 1)
            try SoftHSMLab.tool(["remove-token", lab.directory.path, "Added during test"])
            #expect(try labels().sorted() == before.sorted())
        }
    }
}
