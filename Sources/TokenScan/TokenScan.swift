public import PKCS11
public import KysoCore
import Foundation

/// Everything Kyso knows about one token after reading it once: what the inventory keeps in memory so that
/// queries never touch the token again.
public struct ScannedToken: Sendable {
    public let moduleName: String
    public let modulePath: String
    public let slot: SlotID
    public let slotDescription: String
    public let info: TokenInfo
    public let uri: String
    public let certificates: [ScannedCertificate]
    /// A problem reading the token's objects (the token itself was seen); shown, never fatal.
    public let readError: PKCS11Error?

    public var pinStatus: PINStatus { info.pinStatus }
}

/// A certificate object on a token.
public struct ScannedCertificate: Sendable {
    public let objectID: [UInt8]
    public let label: String
    public let der: [UInt8]
    public let uri: String
    /// How Kyso knows the certificate's private key is on the token.
    public let keyEvidence: KeyEvidence
    /// The private key's own URI, when the key object is visible.
    public let privateKeyURI: String?

    /// The certificate can sign here.
    public var hasPrivateKey: Bool { keyEvidence != .none }
}

/// Why Kyso believes a certificate's private key is on the token, without logging in.
public enum KeyEvidence: String, Sendable, Codable {
    /// A private-key object with the certificate's `CKA_ID` is visible.
    case privateKeyObject
    /// Private keys are hidden until login (`CKA_PRIVATE`), but a public key with the same `CKA_ID` is there,
    /// and key pairs are generated together on the token.
    case publicKeyWithSameID
    /// No key object shares the certificate's `CKA_ID`: the token only stores the certificate (a CA, a copy).
    case none
}

/// The tokens of one module, and the slots that could not be read.
public struct ModuleScan: Sendable {
    public let tokens: [ScannedToken]
    public let failedSlots: [(slot: SlotID, error: PKCS11Error)]
}

extension TokenInfo {
    public var pinStatus: PINStatus {
        PINStatus(
            locked: flags.contains(.userPINLocked), finalTry: flags.contains(.userPINFinalTry),
            countLow: flags.contains(.userPINCountLow), initialized: flags.contains(.userPINInitialized),
            mustChange: flags.contains(.userPINToBeChanged),
            protectedAuthenticationPath: flags.contains(.protectedAuthenticationPath),
            loginRequired: flags.contains(.loginRequired))
    }
}

/// Reads tokens without logging in: public objects only, so a scan never spends a PIN try.
///
/// Every function here calls into the module and **blocks**; run it on a dedicated thread or `NIOThreadPool`.
public enum TokenScanner {
    /// Reads every token present in `module`. A slot that fails does not hide the others.
    public static func scan(module: PKCS11Module) throws(PKCS11Error) -> ModuleScan {
        var tokens: [ScannedToken] = []
        var failed: [(slot: SlotID, error: PKCS11Error)] = []
        for slot in try module.slots(tokenPresent: true) {
            do throws(PKCS11Error) {
                tokens.append(try scan(module: module, slot: slot))
            } catch where error.returnValue == .tokenNotPresent || error.returnValue == .deviceRemoved
                || error.returnValue == .slotIDInvalid {
                continue  // pulled between the slot list and the read: gone, not broken
            } catch {
                failed.append((slot, error))
            }
        }
        return ModuleScan(tokens: tokens, failedSlots: failed)
    }

    /// Reads one token: its info, then its certificates and whether each has its private key on the token.
    public static func scan(module: PKCS11Module, slot: SlotID) throws(PKCS11Error) -> ScannedToken {
        let slotInfo = try module.slotInfo(slot)
        let info = try module.tokenInfo(slot)
        let tokenURI = PKCS11URI(token: info).description
        var certificates: [ScannedCertificate] = []
        var readError: PKCS11Error?
        // A blank token (SoftHSM's spare slot, a reset card) has no objects and refuses sessions.
        if info.flags.contains(.tokenInitialized) { do throws(PKCS11Error) {
            let session = try module.openSession(slot: slot)
            defer { session.close() }
            certificates = try readCertificates(session: session, token: info)
        } catch {
            readError = error
        } }
        return ScannedToken(
            moduleName: module.name, modulePath: module.path, slot: slot, slotDescription: slotInfo.description,
            info: info, uri: tokenURI, certificates: certificates, readError: readError)
    }

    static func readCertificates(session: Session, token: TokenInfo) throws(PKCS11Error) -> [ScannedCertificate] {
        // Private keys are often private objects, invisible before login; then the public key of the pair
        // is the visible evidence (see KeyEvidence).
        let privateKeys = try session.findObjects(class: .privateKey)
        var privateKeyIDs: [[UInt8]: String] = [:]
        for key in privateKeys {
            let id = try session.attribute(.id, of: key) ?? []
            let label = try session.attribute(.label, of: key).map { String(decoding: $0, as: UTF8.self) }
            privateKeyIDs[id] = PKCS11URI(token: token, objectClass: .privateKey, objectID: id, objectLabel: label).description
        }
        let publicKeyIDs = Set(try session.findObjects(class: .publicKey).map { (key) throws(PKCS11Error) -> [UInt8] in
            try session.attribute(.id, of: key) ?? []
        })
        var result: [ScannedCertificate] = []
        for object in try session.findObjects(class: .certificate) {
            guard let der = try session.attribute(.value, of: object), !der.isEmpty else { continue }
            let id = try session.attribute(.id, of: object) ?? []
            let label = try session.attribute(.label, of: object).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let uri = PKCS11URI(token: token, objectClass: .certificate, objectID: id, objectLabel: label.isEmpty ? nil : label)
            let keyURI = privateKeyIDs[id]
            let evidence: KeyEvidence =
                keyURI != nil ? .privateKeyObject
                : (!id.isEmpty && publicKeyIDs.contains(id) ? .publicKeyWithSameID : .none)
            result.append(ScannedCertificate(
                objectID: id, label: label, der: der, uri: uri.description, keyEvidence: evidence, privateKeyURI: keyURI))
        }
        return result
    }
}
