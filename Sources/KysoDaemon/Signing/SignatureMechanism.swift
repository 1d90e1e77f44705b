import PKCS11

/// The signature mechanisms of the API, by their wire names.
public enum SignatureMechanism: String, Codable, Sendable, CaseIterable {
    case rsaPKCS1SHA256 = "rsa-pkcs1-sha256"
    case rsaPSSSHA256 = "rsa-pss-sha256"
    case ecdsaSHA256 = "ecdsa-sha256"

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
