import CP11Kit

/// A PKCS#11 object handle, valid within the session's module.
public typealias ObjectHandle = UInt

/// `CKA_CLASS` values.
public struct ObjectClass: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let data = ObjectClass(rawValue: UInt(CKO_DATA))
    public static let certificate = ObjectClass(rawValue: UInt(CKO_CERTIFICATE))
    public static let publicKey = ObjectClass(rawValue: UInt(CKO_PUBLIC_KEY))
    public static let privateKey = ObjectClass(rawValue: UInt(CKO_PRIVATE_KEY))
    public static let secretKey = ObjectClass(rawValue: UInt(CKO_SECRET_KEY))

    /// The RFC 7512 `type=` word.
    public var uriName: String? {
        switch self {
        case .data: "data"
        case .certificate: "cert"
        case .publicKey: "public"
        case .privateKey: "private"
        case .secretKey: "secret-key"
        default: nil
        }
    }
}

/// `CKA_*` attribute types Kyso reads.
public struct AttributeType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let `class` = AttributeType(rawValue: UInt(CKA_CLASS))
    public static let token = AttributeType(rawValue: UInt(CKA_TOKEN))
    public static let `private` = AttributeType(rawValue: UInt(CKA_PRIVATE))
    public static let label = AttributeType(rawValue: UInt(CKA_LABEL))
    public static let value = AttributeType(rawValue: UInt(CKA_VALUE))
    public static let certificateType = AttributeType(rawValue: UInt(CKA_CERTIFICATE_TYPE))
    public static let issuer = AttributeType(rawValue: UInt(CKA_ISSUER))
    public static let serialNumber = AttributeType(rawValue: UInt(CKA_SERIAL_NUMBER))
    public static let subject = AttributeType(rawValue: UInt(CKA_SUBJECT))
    public static let keyType = AttributeType(rawValue: UInt(CKA_KEY_TYPE))
    public static let id = AttributeType(rawValue: UInt(CKA_ID))
    public static let sign = AttributeType(rawValue: UInt(CKA_SIGN))
    public static let decrypt = AttributeType(rawValue: UInt(CKA_DECRYPT))
    public static let modulus = AttributeType(rawValue: UInt(CKA_MODULUS))
    public static let modulusBits = AttributeType(rawValue: UInt(CKA_MODULUS_BITS))
    public static let publicExponent = AttributeType(rawValue: UInt(CKA_PUBLIC_EXPONENT))
    public static let ecParams = AttributeType(rawValue: UInt(CKA_EC_PARAMS))
    public static let ecPoint = AttributeType(rawValue: UInt(CKA_EC_POINT))
    public static let alwaysAuthenticate = AttributeType(rawValue: UInt(CKA_ALWAYS_AUTHENTICATE))
}

/// `CKK_*` key types.
public struct KeyType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rsa = KeyType(rawValue: UInt(CKK_RSA))
    public static let ec = KeyType(rawValue: UInt(CKK_EC))
}

/// One attribute in a search template. Values are kept as bytes so the template can be laid out for C.
public struct SearchAttribute: Hashable, Sendable {
    public let type: AttributeType
    public let value: [UInt8]

    public static func `class`(_ objectClass: ObjectClass) -> SearchAttribute {
        SearchAttribute(type: .class, value: withUnsafeBytes(of: CK_OBJECT_CLASS(objectClass.rawValue)) { Array($0) })
    }
    public static func id(_ id: [UInt8]) -> SearchAttribute { SearchAttribute(type: .id, value: id) }
    public static func label(_ label: String) -> SearchAttribute { SearchAttribute(type: .label, value: Array(label.utf8)) }
}

/// Lays out a template of `CK_ATTRIBUTE`s pointing into `attributes`' storage for the duration of `body`.
func withTemplate<R>(
    _ attributes: [SearchAttribute], _ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) throws(PKCS11Error) -> R
) throws(PKCS11Error) -> R {
    // One contiguous buffer for every value, so each pointer stays valid while C reads the template.
    var storage = attributes.flatMap(\.value)
    let result: Result<R, PKCS11Error> = storage.withUnsafeMutableBytes { raw in
        var offset = 0
        var template = attributes.map { attribute -> CK_ATTRIBUTE in
            let pointer = raw.baseAddress.map { $0 + offset }
            offset += attribute.value.count
            return CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(attribute.type.rawValue), pValue: pointer,
                                ulValueLen: CK_ULONG(attribute.value.count))
        }
        return template.withUnsafeMutableBufferPointer { buffer in
            do throws(PKCS11Error) {
                return .success(try body(buffer.baseAddress, CK_ULONG(buffer.count)))
            } catch {
                return .failure(error)
            }
        }
    }
    return try result.get()
}
