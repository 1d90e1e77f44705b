import CP11Kit

/// The hash of an RSA-OAEP decryption (`CKM_RSA_PKCS_OAEP`), used both for the label hash and for MGF1, with no label.
///
/// SHA-256 is preferred; SHA-1 exists because SoftHSM 2.6 and several token middlewares accept only SHA-1 with
/// OAEP (OAEP's confidentiality does not rest on the hash's collision resistance, so SHA-1 remains sound here).
public enum OAEPDigest: String, Sendable, Hashable, CaseIterable, Codable {
    case sha256
    case sha1

    var hashMechanism: CK_MECHANISM_TYPE {
        switch self {
        case .sha256: CK_MECHANISM_TYPE(CKM_SHA256)
        case .sha1: CK_MECHANISM_TYPE(CKM_SHA_1)
        }
    }

    var mgf: CK_RSA_PKCS_MGF_TYPE {
        switch self {
        case .sha256: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA256)
        case .sha1: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA1)
        }
    }
}

extension Session {
    /// `C_DecryptInit` then `C_Decrypt` with `CKM_RSA_PKCS_OAEP` (size first, then the plaintext), under one
    /// hold of the session. Blocking.
    ///
    /// A token that does not take these OAEP parameters answers `CKR_MECHANISM_PARAM_INVALID` or
    /// `CKR_ARGUMENTS_BAD` (SoftHSM with SHA-256); a ciphertext made for another key, `CKR_ENCRYPTED_DATA_INVALID`.
    public func decryptOAEP(key: ObjectHandle, digest: OAEPDigest, ciphertext: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        try withHandle("C_Decrypt") { (handle) throws(PKCS11Error) -> [UInt8] in
            let decryptInit = try entry(module.live("C_DecryptInit").pointee.C_DecryptInit, "C_DecryptInit")
            let decrypt = try entry(module.live("C_Decrypt").pointee.C_Decrypt, "C_Decrypt")
            var params = CK_RSA_PKCS_OAEP_PARAMS(
                hashAlg: digest.hashMechanism, mgf: digest.mgf, source: CK_RSA_PKCS_OAEP_SOURCE_TYPE(CKZ_DATA_SPECIFIED),
                pSourceData: nil, ulSourceDataLen: 0)
            let initRV = withUnsafeMutablePointer(to: &params) { pointer in
                var mechanism = CK_MECHANISM(
                    mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_OAEP), pParameter: UnsafeMutableRawPointer(pointer),
                    ulParameterLen: CK_ULONG(MemoryLayout<CK_RSA_PKCS_OAEP_PARAMS>.size))
                return decryptInit(handle, &mechanism, CK_OBJECT_HANDLE(key))
            }
            try check(initRV, "C_DecryptInit")
            return try singlePart(decrypt, handle, ciphertext, "C_Decrypt")
        }
    }
}
