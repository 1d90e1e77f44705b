import Foundation
import KysoTestSupport
import KysoCore
import ReaderMonitoring
import PKCS11
import Testing
import X509

extension LivePCSC {
    /// Issue 4's chain, end to end, with nothing mocked: a virtual PIV card in a real pcscd, OpenSC's
    /// PKCS#11 module reaching it through libpcsclite (PCSCLITE_CSOCK_NAME points it at our pcscd).
    @Suite("The whole chain: virtual card → pcscd → monitor → OpenSC PKCS#11 → signature")
    struct ChainTests {
        static let openSC = "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"

        @Test("inserted → monitor event → token → certificate profiled → signature verified → pulled → gone everywhere",
              .enabled(if: FileManager.default.fileExists(atPath: openSC)))
        func chain() async throws {
            let folder = try TemporaryDirectory()
            let ports = try VPCDPorts.free(entries: 1)
            let pcscd = try await PrivatePCSCD(configDirectory: folder.file("readers"), vpcdPorts: ports)
            let identity = try await CardIdentity.make(in: folder, name: "card", provider: "vnpt")
            let harness = MonitorHarness()
            for reader in pcscd.readerNames {
                try await harness.waitFor("readerAdded") { $0 == .readerAdded(reader: reader) }
            }
            let module = try await onThread { try PKCS11Module.load(path: Self.openSC) }
            #expect(try await onThread { try module.slots(tokenPresent: true) }.isEmpty)

            // 1. The card goes in; the monitor reports it with the card's own ATR.
            let mark = harness.count
            let card = try await VirtualCard(port: ports[0], identity: identity)
            let inserted = try await harness.waitFor("cardInserted", since: mark) {
                if case .cardInserted = $0 { true } else { false }
            }
            #expect(inserted.event == .cardInserted(reader: card.readerName, atr: card.atr))

            // 2. OpenSC shows the token (its serial comes from the card's CHUID).
            let slot = try await poll("OpenSC token \(card.tokenSerial)") { () -> SlotID? in
                try module.slots(tokenPresent: true).first { try module.tokenInfo($0).serialNumber == card.tokenSerial }
            }
            let tokenSeen = Date()
            let token = try await onThread { try module.tokenInfo(slot) }
            #expect(token.flags.contains(.loginRequired))
            #expect(!token.flags.contains(.userPINLocked))
            print("chain: card connected → monitor event \(Int((inserted.at.timeIntervalSince1970 - card.connectedAt) * 1000)) ms, → PKCS#11 token \(Int((tokenSeen.timeIntervalSince1970 - card.connectedAt) * 1000)) ms")

            // 3. Its certificate is read and profiled: the lab's VNPT TEST issuer and the subject's tax code.
            let session = try await onThread { try module.openSession(slot: slot) }
            let (der, keyID) = try await onThread { () -> ([UInt8], [UInt8]) in
                let certificates = try session.findObjects(class: .certificate)
                guard certificates.count == 1, let handle = certificates.first,
                      let value = try session.attribute(.value, of: handle), let id = try session.attribute(.id, of: handle)
                else { throw TestFailure("expected one certificate with a value and an ID, found \(certificates.count)") }
                return (value, id)
            }
            #expect(der == (try identity.certificateDER))
            let profile = try CertificateProfile(derEncoded: der)
            #expect(profile.taxCode?.value == identity.taxCode)
            #expect(profile.provider.provider == .vnpt)
            #expect(profile.provider.isTest)

            // 4. A signature made on the card verifies with the certificate's public key (swift-crypto via X509).
            let message = Array("Tờ khai hải quan \(UUID().uuidString)".utf8)
            let signature = try await onThread { () -> [UInt8] in
                try session.login(pin: Array(VirtualCard.pin.utf8))
                guard let key = try session.findObjects(class: .privateKey, id: keyID).first else {
                    throw TestFailure("no private key with the certificate's CKA_ID")
                }
                defer { try? session.logout() }
                return try session.sign(mechanism: .sha256RSAPKCS, key: key, data: message)
            }
            let certificate = try Certificate(derEncoded: der)
            #expect(certificate.publicKey.isValidSignature(signature, for: message, signatureAlgorithm: .sha256WithRSAEncryption))
            #expect(!certificate.publicKey.isValidSignature(signature, for: message + [0], signatureAlgorithm: .sha256WithRSAEncryption))
            session.close()

            // 5. The card is pulled: the monitor reports it and OpenSC's slot no longer has a token.
            let removal = harness.count
            try await card.remove()
            try await harness.waitFor("cardRemoved", since: removal) { $0 == .cardRemoved(reader: card.readerName) }
            _ = try await poll("the token gone from PKCS#11") { () -> Bool? in
                try module.slots(tokenPresent: true).contains(slot) ? nil : true
            }
            #expect(!harness.monitor.readers.contains { $0.cardPresent })
            #expect(!harness.events(since: mark).contains { if case .serviceLost = $0 { true } else { false } })

            module.finalize()
            try await harness.stop()
            try await pcscd.stop()
        }
    }
}
