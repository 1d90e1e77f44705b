import CP11Kit

#if canImport(Glibc)
import Glibc
#endif

/// RFC 7512 `pkcs11:` URIs, written and read by p11-kit so they match what `p11tool`, `pkcs11-tool`
/// and GnuTLS/OpenSSL engines accept.
public struct PKCS11URI: Hashable, Sendable, CustomStringConvertible {
    public var tokenLabel: String?
    public var tokenManufacturer: String?
    public var tokenModel: String?
    public var tokenSerial: String?
    public var objectClass: ObjectClass?
    public var objectID: [UInt8]?
    public var objectLabel: String?

    public init(token: TokenInfo, objectClass: ObjectClass? = nil, objectID: [UInt8]? = nil, objectLabel: String? = nil) {
        tokenLabel = token.label
        tokenManufacturer = token.manufacturerID
        tokenModel = token.model
        tokenSerial = token.serialNumber
        self.objectClass = objectClass
        self.objectID = objectID
        self.objectLabel = objectLabel
    }

    /// Parses a URI with `p11_kit_uri_parse`; unknown query attributes are ignored as RFC 7512 allows.
    public init(parsing text: String) throws(PKCS11Error) {
        guard let uri = p11_kit_uri_new() else { throw PKCS11Error(.invalidURI, function: "p11_kit_uri_new") }
        defer { p11_kit_uri_free(uri) }
        let code = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri)
        guard code == Int32(P11_KIT_URI_OK.rawValue) else {
            throw PKCS11Error(.invalidURI, function: "p11_kit_uri_parse", detail: String(cString: p11_kit_uri_message(code)))
        }
        if let info = p11_kit_uri_get_token_info(uri)?.pointee {
            let token = TokenInfo(info)
            tokenLabel = token.label.nilIfEmpty
            tokenManufacturer = token.manufacturerID.nilIfEmpty
            tokenModel = token.model.nilIfEmpty
            tokenSerial = token.serialNumber.nilIfEmpty
        }
        if let bytes = Self.attribute(uri, CKA_CLASS), bytes.count == MemoryLayout<CK_OBJECT_CLASS>.size {
            objectClass = ObjectClass(rawValue: UInt(bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_OBJECT_CLASS.self) }))
        }
        objectID = Self.attribute(uri, CKA_ID)
        objectLabel = Self.attribute(uri, CKA_LABEL).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The URI text from `p11_kit_uri_format`, percent-encoded as RFC 7512 requires.
    public var description: String { (try? format()) ?? "pkcs11:" }

    /// Formats with `p11_kit_uri_format`: token fields, then object class, id and label when set.
    public func format() throws(PKCS11Error) -> String {
        guard let uri = p11_kit_uri_new() else { throw PKCS11Error(.invalidURI, function: "p11_kit_uri_new") }
        defer { p11_kit_uri_free(uri) }
        if let info = p11_kit_uri_get_token_info(uri) {
            var token = CK_TOKEN_INFO()
            // Unset fields stay zero-filled, which p11-kit reads as "any" and leaves out of the URI.
            if let tokenLabel { FixedWidthText.encode(tokenLabel, into: &token.label) }
            if let tokenManufacturer { FixedWidthText.encode(tokenManufacturer, into: &token.manufacturerID) }
            if let tokenModel { FixedWidthText.encode(tokenModel, into: &token.model) }
            if let tokenSerial { FixedWidthText.encode(tokenSerial, into: &token.serialNumber) }
            info.pointee = token
        }
        var attributes: [SearchAttribute] = []
        if let objectClass { attributes.append(.class(objectClass)) }
        if let objectID { attributes.append(.id(objectID)) }
        if let objectLabel { attributes.append(.label(objectLabel)) }
        for attribute in attributes {
            try withTemplate([attribute]) { (pointer, _) throws(PKCS11Error) in
                let code = p11_kit_uri_set_attribute(uri, pointer)
                guard code == Int32(P11_KIT_URI_OK.rawValue) else {
                    throw PKCS11Error(.invalidURI, function: "p11_kit_uri_set_attribute", detail: String(cString: p11_kit_uri_message(code)))
                }
            }
        }
        var text: UnsafeMutablePointer<CChar>?
        let code = p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &text)
        guard code == Int32(P11_KIT_URI_OK.rawValue), let text else {
            throw PKCS11Error(.invalidURI, function: "p11_kit_uri_format", detail: String(cString: p11_kit_uri_message(code)))
        }
        defer { free(text) }
        return String(cString: text)
    }

    /// Whether `token` is one this URI names (unset fields match anything).
    public func matches(token: TokenInfo) -> Bool {
        (tokenLabel.map { $0 == token.label } ?? true)
            && (tokenManufacturer.map { $0 == token.manufacturerID } ?? true)
            && (tokenModel.map { $0 == token.model } ?? true)
            && (tokenSerial.map { $0 == token.serialNumber } ?? true)
    }

    /// The search template for the object part of the URI.
    public var objectTemplate: [SearchAttribute] {
        var template: [SearchAttribute] = []
        if let objectClass { template.append(.class(objectClass)) }
        if let objectID { template.append(.id(objectID)) }
        if let objectLabel { template.append(.label(objectLabel)) }
        return template
    }

    private static func attribute(_ uri: OpaquePointer, _ type: Int32) -> [UInt8]? {
        attribute(uri, CK_ATTRIBUTE_TYPE(type))
    }

    private static func attribute(_ uri: OpaquePointer, _ type: CK_ATTRIBUTE_TYPE) -> [UInt8]? {
        guard let attribute = p11_kit_uri_get_attribute(uri, type)?.pointee, let value = attribute.pValue else { return nil }
        return Array(UnsafeRawBufferPointer(start: value, count: Int(attribute.ulValueLen)))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
