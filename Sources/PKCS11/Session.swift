import CP11Kit
import Synchronization

/// A PKCS#11 session on one token.
///
/// PKCS#11 forbids two threads using one session at once; a lock serialises calls so a `Session` can be
/// handed between threads safely. Every method calls into the module and **blocks**: use a dedicated
/// thread or `NIOThreadPool`. The session closes when released, or explicitly with `close()`.
public final class Session: Sendable {
    public let module: PKCS11Module
    public let slot: SlotID
    private let state: Mutex<CK_SESSION_HANDLE?>

    init(module: PKCS11Module, slot: SlotID, handle: CK_SESSION_HANDLE) {
        self.module = module
        self.slot = slot
        state = Mutex(handle)
    }

    deinit { close() }


    /// Runs `body` with the session handle under the session's lock.
    func withHandle<R>(_ function: StaticString, _ body: (CK_SESSION_HANDLE) throws(PKCS11Error) -> R) throws(PKCS11Error) -> R {
        let result: Result<R, PKCS11Error> = state.withLock { handle in
            guard let handle else {
                return .failure(PKCS11Error(.returnValue(.sessionHandleInvalid), function: "\(function)", detail: "session closed"))
            }
            do throws(PKCS11Error) { return .success(try body(handle)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// `C_CloseSession`. Safe to call more than once.
    public func close() {
        let handle = state.withLock { handle in
            defer { handle = nil }
            return handle
        }
        guard let handle, let closeSession = try? module.live("C_CloseSession").pointee.C_CloseSession else { return }
        _ = closeSession(handle)
    }

    /// `C_Login` as the normal user.
    ///
    /// Pass `nil` to log in through the token's protected authentication path (a PIN pad). Kyso never calls
    /// this twice with the same PIN after a failure: retry decisions belong to the person who typed it.
    /// `CKR_USER_ALREADY_LOGGED_IN` counts as success.
    public func login(pin: [UInt8]?) throws(PKCS11Error) {
        try withHandle("C_Login") { (handle) throws(PKCS11Error) in
            let login = try entry(module.live("C_Login").pointee.C_Login, "C_Login")
            var rv: CK_RV
            if var pin {
                rv = pin.withUnsafeMutableBufferPointer { login(handle, CK_USER_TYPE(CKU_USER), $0.baseAddress, CK_ULONG($0.count)) }
                for index in pin.indices { pin[index] = 0 }
            } else {
                rv = login(handle, CK_USER_TYPE(CKU_USER), nil, 0)
            }
            if rv == CK_RV(CKR_USER_ALREADY_LOGGED_IN) { rv = CK_RV(CKR_OK) }
            try check(rv, "C_Login")
        }
    }

    /// `C_Logout`. `CKR_USER_NOT_LOGGED_IN` counts as success.
    public func logout() throws(PKCS11Error) {
        try withHandle("C_Logout") { (handle) throws(PKCS11Error) in
            let rv = try entry(module.live("C_Logout").pointee.C_Logout, "C_Logout")(handle)
            if rv == CK_RV(CKR_USER_NOT_LOGGED_IN) { return }
            try check(rv, "C_Logout")
        }
    }

    /// `C_FindObjectsInit`, `C_FindObjects` in batches, `C_FindObjectsFinal`: every object matching all of `template`.
    public func findObjects(_ template: [SearchAttribute]) throws(PKCS11Error) -> [ObjectHandle] {
        try withHandle("C_FindObjects") { (handle) throws(PKCS11Error) -> [ObjectHandle] in
            let findInit = try entry(module.live("C_FindObjectsInit").pointee.C_FindObjectsInit, "C_FindObjectsInit")
            let find = try entry(module.live("C_FindObjects").pointee.C_FindObjects, "C_FindObjects")
            let findFinal = try entry(module.live("C_FindObjectsFinal").pointee.C_FindObjectsFinal, "C_FindObjectsFinal")
            try withTemplate(template) { (pointer, count) throws(PKCS11Error) in
                try check(findInit(handle, pointer, count), "C_FindObjectsInit")
            }
            var found: [ObjectHandle] = []
            var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 64)
            do throws(PKCS11Error) {
                while true {
                    var count: CK_ULONG = 0
                    try check(find(handle, &batch, CK_ULONG(batch.count), &count), "C_FindObjects")
                    if count == 0 { break }
                    found += batch.prefix(Int(count)).map { ObjectHandle($0) }
                }
            } catch {
                _ = findFinal(handle)
                throw error
            }
            try check(findFinal(handle), "C_FindObjectsFinal")
            return found
        }
    }

    /// Convenience over `findObjects(_:)` for the usual search by class, `CKA_ID` and label.
    public func findObjects(class objectClass: ObjectClass? = nil, id: [UInt8]? = nil, label: String? = nil) throws(PKCS11Error) -> [ObjectHandle] {
        var template: [SearchAttribute] = []
        if let objectClass { template.append(.class(objectClass)) }
        if let id { template.append(.id(id)) }
        if let label { template.append(.label(label)) }
        return try findObjects(template)
    }

    /// `C_GetAttributeValue`, size first, then the value.
    ///
    /// Returns `nil` when the object has no such attribute or it is sensitive (a private key's `CKA_VALUE`),
    /// which is an answer, not a failure.
    public func attribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> [UInt8]? {
        try withHandle("C_GetAttributeValue") { (handle) throws(PKCS11Error) -> [UInt8]? in
            let getAttribute = try entry(module.live("C_GetAttributeValue").pointee.C_GetAttributeValue, "C_GetAttributeValue")
            var attribute = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type.rawValue), pValue: nil, ulValueLen: 0)
            let sizeRV = getAttribute(handle, CK_OBJECT_HANDLE(object), &attribute, 1)
            if sizeRV == CK_RV(CKR_ATTRIBUTE_TYPE_INVALID) || sizeRV == CK_RV(CKR_ATTRIBUTE_SENSITIVE) { return nil }
            try check(sizeRV, "C_GetAttributeValue")
            if attribute.ulValueLen == kyso_CK_UNAVAILABLE_INFORMATION { return nil }
            var value = [UInt8](repeating: 0, count: Int(attribute.ulValueLen))
            let rv = value.withUnsafeMutableBytes { raw -> CK_RV in
                attribute.pValue = raw.baseAddress
                return getAttribute(handle, CK_OBJECT_HANDLE(object), &attribute, 1)
            }
            try check(rv, "C_GetAttributeValue")
            return Array(value.prefix(Int(attribute.ulValueLen)))
        }
    }

    /// Reads a `CK_ULONG` attribute such as `CKA_CLASS` or `CKA_KEY_TYPE`.
    public func ulongAttribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> UInt? {
        guard let bytes = try attribute(type, of: object), bytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
        return UInt(bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) })
    }

    /// Reads a `CK_BBOOL` attribute such as `CKA_SIGN`.
    public func boolAttribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> Bool? {
        guard let bytes = try attribute(type, of: object), let first = bytes.first else { return nil }
        return first != 0
    }

    /// `C_SignInit` then `C_Sign` (size first, then the signature), all under one hold of the session.
    ///
    /// For `.rsaPKCS` pass a DER DigestInfo; for `.rsaPKCSPSSOverSHA256Digest` and `.ecdsa` pass the digest.
    public func sign(mechanism: SigningMechanism, key: ObjectHandle, data: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        try withHandle("C_Sign") { (handle) throws(PKCS11Error) -> [UInt8] in
            let signInit = try entry(module.live("C_SignInit").pointee.C_SignInit, "C_SignInit")
            let sign = try entry(module.live("C_Sign").pointee.C_Sign, "C_Sign")
            try mechanism.withCMechanism { (pointer) throws(PKCS11Error) in
                try check(signInit(handle, pointer, CK_OBJECT_HANDLE(key)), "C_SignInit")
            }
            return try singlePart(sign, handle, data, "C_Sign")
        }
    }

    /// Single-part operations (`C_Sign`, `C_Decrypt`, same C signature), in one call where a buffer of
    /// `firstGuess` bytes is enough (every RSA signature up to 4096 bits, every ECDSA one), else PKCS#11's two-call
    /// convention: `CKR_BUFFER_TOO_SMALL` leaves the operation active with the size needed, and the second call
    /// finishes it. One call fewer matters for a module in its host, where each is a round trip over p11-kit's RPC.
    /// The buffers are wiped before they go (a decryption's held a secret).
    func singlePart(_ function: CK_C_Sign, _ handle: CK_SESSION_HANDLE, _ data: [UInt8], _ name: StaticString,
                    firstGuess: Int = 512) throws(PKCS11Error) -> [UInt8] {
        var input = data
        var size = firstGuess
        while true {
            var length = CK_ULONG(size)
            var output = [UInt8](repeating: 0, count: size)
            defer { output.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            let rv = input.withUnsafeMutableBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { function(handle, inputBuffer.baseAddress, CK_ULONG(inputBuffer.count), $0.baseAddress, &length) }
            }
            if rv == CK_RV(CKR_BUFFER_TOO_SMALL), Int(length) > size {
                size = Int(length)
                continue
            }
            try check(rv, name)
            return Array(output.prefix(Int(length)))
        }
    }
}
