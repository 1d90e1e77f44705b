import Foundation
import PKCS11
import KysoTestSupport
import Testing

@Suite("clear, distinct errors")
struct ErrorTests {
    @Test("a wrong PIN is CKR_PIN_INCORRECT from C_Login")
    func wrongPIN() async throws {
        try await SoftHSMLab.with { lab, module in
            let token = try #require(lab.manifest.tokens.first)
            let slot = try #require(try module.slots().first { try module.tokenInfo($0).label == token.label })
            let session = try module.openSession(slot: slot)
            let error = #expect(throws: PKCS11Error.self) { try session.login(pin: Array("000000".utf8)) }
            #expect(error == PKCS11Error(.returnValue(.pinIncorrect), function: "C_Login"))
            #expect(error?.description == "C_Login: CKR_PIN_INCORRECT")
        }
    }

    @Test("an unknown object is an empty search, and a made-up handle is refused by C_SignInit")
    func unknownObject() async throws {
        try await SoftHSMLab.with { lab, module in
            let token = try #require(lab.manifest.tokens.first)
            let slot = try #require(try module.slots().first { try module.tokenInfo($0).label == token.label })
            let session = try module.openSession(slot: slot)
            try session.login(pin: Array(token.pin.utf8))
            #expect(try session.findObjects(class: .privateKey, id: [0xde, 0xad, 0xbe, 0xef]).isEmpty)
            let error = #expect(throws: PKCS11Error.self) {
                try session.sign(mechanism: .sha256RSAPKCS, key: 0x7fff_0000, data: [1, 2, 3])
            }
            #expect(error?.function == "C_SignInit")
            #expect([ReturnValue.keyHandleInvalid, .objectHandleInvalid].contains(error?.returnValue))
        }
    }

    @Test("a missing module path says the module could not be loaded, with the path")
    func missingModule() throws {
        let error = #expect(throws: PKCS11Error.self) { try PKCS11Module.load(path: "/nonexistent/libvendor-pkcs11.so") }
        #expect(error?.code == .moduleNotLoaded)
        #expect(error?.function == "p11_kit_module_load")
        #expect(error?.description.contains("/nonexistent/libvendor-pkcs11.so") == true)
    }

    @Test("a file that is not a PKCS#11 module is refused the same way")
    func notAModule() throws {
        let error = #expect(throws: PKCS11Error.self) { try PKCS11Module.load(path: "/bin/sh") }
        #expect(error?.code == .moduleNotLoaded)
    }

    @Test("the uninitialised token in SoftHSM's free slot reports no user PIN and refuses login")
    func uninitialisedToken() async throws {
        try await SoftHSMLab.with { lab, module in
            let free = try #require(try module.slots(tokenPresent: true).first { !(try module.tokenInfo($0).flags.contains(.tokenInitialized)) })
            let info = try module.tokenInfo(free)
            #expect(!info.flags.contains(.userPINInitialized))
            let error = #expect(throws: PKCS11Error.self) {
                let session = try module.openSession(slot: free)
                try session.login(pin: Array("123456".utf8))
            }
            let distinct: Set<ReturnValue> = [.userPINNotInitialized, .tokenNotRecognized, .generalError, .cryptokiNotInitialized]
            #expect(error.map { distinct.contains($0.returnValue ?? .ok) && $0.returnValue != .pinIncorrect } == true,
                    "got \(String(describing: error))")
        }
    }

    @Test("a finalised module refuses further calls instead of crashing")
    func afterFinalize() async throws {
        try await SoftHSMLab.with { _, module in
            let other = try PKCS11Module.load(path: SoftHSMLab.modulePath)
            other.finalize()
            let error = #expect(throws: PKCS11Error.self) { try other.slots() }
            #expect(error?.returnValue == .cryptokiNotInitialized)
            #expect(error?.detail == "module finalised")
            // The lab's own instance is untouched: p11-kit keeps one initialisation per user.
            #expect(try !module.slots().isEmpty)
        }
    }

    @Test("CK_RV names come from the specification")
    func names() {
        #expect(ReturnValue.pinLocked.name == "CKR_PIN_LOCKED")
        #expect(ReturnValue(rawValue: 0x8000_0001).name == "CKR_VENDOR_DEFINED+0x1")
    }
}
