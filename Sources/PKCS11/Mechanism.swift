import CP11Kit

/// A `CKM_*` mechanism type.
public struct MechanismType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rsaPKCS = MechanismType(rawValue: UInt(CKM_RSA_PKCS))
    public static let sha256RSAPKCS = MechanismType(rawValue: UInt(CKM_SHA256_RSA_PKCS))
    public static let rsaPKCSPSS = MechanismType(rawValue: UInt(CKM_RSA_PKCS_PSS))
    public static let sha256RSAPKCSPSS = MechanismType(rawValue: UInt(CKM_SHA256_RSA_PKCS_PSS))
    public static let ecdsa = MechanismType(rawValue: UInt(CKM_ECDSA))
    public static let ecdsaSHA256 = MechanismType(rawValue: UInt(CKM_ECDSA_SHA256))
    public static let rsaPKCSOAEP = MechanismType(rawValue: UInt(CKM_RSA_PKCS_OAEP))
}

/// A signing mechanism with its parameters.
public enum SigningMechanism: Hashable, Sendable {
    /// `CKM_RSA_PKCS`: PKCS #1 v1.5 over data the caller has already wrapped in a DigestInfo.
    case rsaPKCS
    /// `CKM_SHA256_RSA_PKCS`: the token hashes with SHA-256 and pads with PKCS #1 v1.5.
    case sha256RSAPKCS
    /// `CKM_RSA_PKCS_PSS` over a SHA-256 digest, MGF1-SHA-256, 32-byte salt.
    case rsaPKCSPSSOverSHA256Digest
    /// `CKM_SHA256_RSA_PKCS_PSS`: the token hashes, MGF1-SHA-256, 32-byte salt.
    case sha256RSAPKCSPSS
    /// `CKM_ECDSA` over a digest the caller computed; the result is `r ‖ s`.
    case ecdsa

    public var type: MechanismType {
        switch self {
        case .rsaPKCS: .rsaPKCS
        case .sha256RSAPKCS: .sha256RSAPKCS
        case .rsaPKCSPSSOverSHA256Digest: .rsaPKCSPSS
        case .sha256RSAPKCSPSS: .sha256RSAPKCSPSS
        case .ecdsa: .ecdsa
        }
    }

    /// Lays out `CK_MECHANISM` (with PSS parameters where needed) for the duration of `body`.
    func withCMechanism<R>(_ body: (UnsafeMutablePointer<CK_MECHANISM>) throws(PKCS11Error) -> R) throws(PKCS11Error) -> R {
        switch self {
        case .rsaPKCSPSSOverSHA256Digest, .sha256RSAPKCSPSS:
            var params = CK_RSA_PKCS_PSS_PARAMS(
                hashAlg: CK_MECHANISM_TYPE(CKM_SHA256), mgf: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA256), sLen: 32)
            return try withUnsafeMutablePointer(to: &params) { (pointer) throws(PKCS11Error) -> R in
                var mechanism = CK_MECHANISM(
                    mechanism: CK_MECHANISM_TYPE(type.rawValue), pParameter: UnsafeMutableRawPointer(pointer),
                    ulParameterLen: CK_ULONG(MemoryLayout<CK_RSA_PKCS_PSS_PARAMS>.size))
                return try body(&mechanism)
            }
        default:
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(type.rawValue), pParameter: nil, ulParameterLen: 0)
            return try body(&mechanism)
        }
    }
}
