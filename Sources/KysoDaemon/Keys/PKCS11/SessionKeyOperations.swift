import Crypto
import KysoAPI
import KysoStore
import PKCS11

/// A private key on a logged-in PKCS#11 session. Used only on the token's own serial queue.
struct SessionKeyOperations: KeyOperations {
    let session: Session
    let key: ObjectHandle

    func sign(_ mechanism: SignatureMechanism, message: [UInt8]?, digest: [UInt8]) throws -> [UInt8] {
        // PSS signs the digest computed here as well: p11-kit's RPC, which reaches modules in their hosts, carries
        // parameters for CKM_RSA_PKCS_PSS but not for CKM_SHA256_RSA_PKCS_PSS (0.24 answers CKR_MECHANISM_INVALID).
        let hashedByCaller = message == nil || mechanism == .ecdsaSHA256 || mechanism == .rsaPSSSHA256
        let tokenMechanism = mechanism.tokenMechanism(hashedByCaller: hashedByCaller)
        let input: [UInt8] = switch tokenMechanism {
        case .rsaPKCS: SignatureMechanism.sha256DigestInfoPrefix + digest
        case .rsaPKCSPSSOverSHA256Digest, .ecdsa: digest
        default: message ?? []
        }
        let signature = try session.sign(mechanism: tokenMechanism, key: key, data: input)
        // ECDSA leaves the token as r ‖ s; tools (openssl pkeyutl) and CMS want the DER form.
        if mechanism == .ecdsaSHA256 { return Array(try P256.Signing.ECDSASignature(rawRepresentation: signature).derRepresentation) }
        return signature
    }

    func decryptOAEP(_ hash: OAEPHash, ciphertext: [UInt8]) throws -> [UInt8] {
        let result: Result<[UInt8], PKCS11Error>
        do throws(PKCS11Error) {
            result = .success(try session.decryptOAEP(key: key, digest: hash.digest, ciphertext: ciphertext))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let plaintext): return plaintext
        // What tokens answer to OAEP parameters they do not take (SoftHSM: CKR_ARGUMENTS_BAD for SHA-256).
        case .failure(let error) where [.argumentsBad, .mechanismParamInvalid, .mechanismInvalid, .encryptedDataInvalid].contains(error.returnValue):
            throw KeyOperationError.parametersRefused("OAEP-\(hash.rawValue.uppercased()): \(error.returnValue?.name ?? "\(error)")")
        case .failure(let error) where error.returnValue == .keyFunctionNotPermitted || error.returnValue == .keyTypeInconsistent:
            throw KeyOperationError.notPermitted("the token's key may not decrypt (\(error))")
        case .failure(let error): throw error
        }
    }
}

extension SignatureMechanism {
    /// The PKCS#11 mechanism and what to feed it: the token hashes `data` itself where it can; a caller's
    /// digest goes to the raw mechanism (with a DigestInfo for PKCS #1 v1.5).
    func tokenMechanism(hashedByCaller: Bool) -> SigningMechanism {
        switch (self, hashedByCaller) {
        case (.rsaPKCS1SHA256, false): .sha256RSAPKCS
        case (.rsaPKCS1SHA256, true): .rsaPKCS
        case (.rsaPSSSHA256, false): .sha256RSAPKCSPSS
        case (.rsaPSSSHA256, true): .rsaPKCSPSSOverSHA256Digest
        // SoftHSM and many cards lack CKM_ECDSA_SHA256: ECDSA always signs a digest computed here.
        case (.ecdsaSHA256, _): .ecdsa
        }
    }

    /// DigestInfo header for SHA-256 (RFC 8017 §9.2 note 1), put before a caller's digest for CKM_RSA_PKCS.
    static let sha256DigestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]
}

extension OAEPHash {
    /// The PKCS#11 wrapper's name for the same hash (the store keeps its own, free of the C boundary).
    var digest: OAEPDigest {
        switch self {
        case .sha256: .sha256
        case .sha1: .sha1
        }
    }
}
