import CP11Kit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A loaded and initialised PKCS#11 module.
///
/// Modules are loaded through p11-kit, which initialises them with OS locking and shares one
/// initialisation between every user in the process, so functions here may be called from any thread.
/// Every method that calls into the module **blocks** (a token on USB may take tens of milliseconds, a card
/// reader far longer): call them from a dedicated thread or `NIOThreadPool`, never from Swift's
/// cooperative pool or an event loop.
public final class PKCS11Module: Sendable {
    /// p11-kit's name for a registered module (`opensc`, `softhsm2`), or the file name for one loaded by path.
    public let name: String
    /// The shared library this module was loaded from.
    public let path: String
    /// Whether p11-kit marks it as a source of trust anchors only (`trust-policy: yes`), not a token to sign with.
    public let isTrustPolicy: Bool

    nonisolated(unsafe) let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let finalized: Mutex<Bool>
    private let owner: LoadedModules?

    private init(functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, owner: LoadedModules?, fallbackName: String,
                 initialized: Bool = true, name: String? = nil, path: String? = nil) {
        self.functions = functions
        self.owner = owner
        self.path = path ?? takeString(p11_kit_module_get_filename(functions)) ?? fallbackName
        self.name = name ?? takeString(p11_kit_module_get_name(functions)) ?? String(self.path.split(separator: "/").last ?? "")
        isTrustPolicy = (takeString(p11_kit_config_option(functions, "trust-policy")) ?? "no")
            .lowercased() == "yes"
        finalized = Mutex(!initialized)
    }

    deinit {
        finalize()
        if owner == nil { p11_kit_module_release(functions) }
    }

    /// Loads one module file and initialises it.
    ///
    /// Wraps `p11_kit_module_load` and `p11_kit_module_initialize`. Blocking.
    public static func load(path: String) throws(PKCS11Error) -> PKCS11Module {
        guard let functions = p11_kit_module_load(path, 0) else {
            let message = p11_kit_message().map { String(cString: $0) }
            throw PKCS11Error(.moduleNotLoaded, function: "p11_kit_module_load", detail: message ?? path)
        }
        let rv = p11_kit_module_initialize(functions)
        guard rv == CK_RV(CKR_OK) else {
            p11_kit_module_release(functions)
            throw PKCS11Error(.returnValue(ReturnValue(rawValue: rv)), function: "p11_kit_module_initialize", detail: path)
        }
        return PKCS11Module(functions: functions, owner: nil, fallbackName: path)
    }

    /// A module that runs in a module host, reached through p11-kit's RPC client (`p11-kit-client.so`) at `address`
    /// (`unix:path=/…`). `name` and `path` are the hosted module's. Not initialised: `initialize()` connects to the
    /// host; `finalize()` and `initialize()` again reconnect, to a new host after the old one was replaced.
    ///
    /// The client reads its address from `P11_KIT_SERVER_ADDRESS` when its function list is made, and nowhere else,
    /// so the variable is set around `p11_kit_module_load` under a lock; each load makes a client of its own.
    /// Blocking (briefly: nothing is contacted before `initialize()`).
    public static func hostClient(address: String, name: String, path: String) throws(PKCS11Error) -> PKCS11Module {
        let loaded: UnsafeMutablePointer<CK_FUNCTION_LIST>? = clientEnvironment.withLock { _ in
            setenv("P11_KIT_SERVER_ADDRESS", address, 1)
            defer { unsetenv("P11_KIT_SERVER_ADDRESS") }
            // Relative: p11-kit loads it from its own module directory, wherever the distribution put that. Unmanaged:
            // p11-kit's managed layer holds its process-wide lock through C_Initialize, so one host hanging in its
            // module's C_Initialize would stall every other module's start; the RPC client locks per connection.
            return p11_kit_module_load("p11-kit-client.so", Int32(P11_KIT_MODULE_UNMANAGED))
        }
        guard let functions = loaded else {
            let message = p11_kit_message().map { String(cString: $0) }
            throw PKCS11Error(.moduleNotLoaded, function: "p11_kit_module_load", detail: message ?? "p11-kit-client.so")
        }
        return PKCS11Module(functions: functions, owner: nil, fallbackName: path, initialized: false, name: name, path: path)
    }

    /// Initialises a module made by `hostClient` (or finalised since): `p11_kit_module_initialize`. Blocking: for a
    /// hosted module this connects to the host and runs the module's `C_Initialize` there.
    public func initialize() throws(PKCS11Error) {
        let rv = p11_kit_module_initialize(functions)
        guard rv == CK_RV(CKR_OK) else {
            throw PKCS11Error(.returnValue(ReturnValue(rawValue: rv)), function: "C_Initialize", detail: path)
        }
        finalized.withLock { $0 = false }
    }

    /// Loads every module registered with p11-kit (`/usr/share/p11-kit/modules`, `/etc/pkcs11/modules`).
    ///
    /// Wraps `p11_kit_modules_load` and then `p11_kit_module_initialize` module by module rather than
    /// `p11_kit_modules_load_and_initialize`, which drops a module that fails to initialise without a word:
    /// a user asking why their token is missing needs to see that failure. Blocking.
    /// `only`: p11-kit names of the modules to initialise; the others are left uninitialised.
    public static func loadRegistered(only: Set<String>? = nil) -> [RegisteredModule] {
        guard let list = p11_kit_modules_load(nil, 0) else { return [] }
        let owner = LoadedModules(list)
        var result: [RegisteredModule] = []
        var index = 0
        while let functions = list[index] {
            index += 1
            if let only, !only.contains(takeString(p11_kit_module_get_name(functions)) ?? "") { continue }
            let rv = p11_kit_module_initialize(functions)
            if rv == CK_RV(CKR_OK) {
                result.append(.loaded(PKCS11Module(functions: functions, owner: owner, fallbackName: "")))
            } else {
                let path = takeString(p11_kit_module_get_filename(functions)) ?? ""
                let name = takeString(p11_kit_module_get_name(functions)) ?? path
                let error = PKCS11Error(.returnValue(ReturnValue(rawValue: rv)), function: "p11_kit_module_initialize", detail: path)
                result.append(.failed(name: name, path: path, error: error))
            }
        }
        return result
    }

    /// The modules registered with p11-kit, read from its configuration without initialising any. Loading still
    /// runs each library's constructors, so kysod asks a module host process for this list (`kyso-module-host
    /// --list-registered`) rather than loading vendor code itself. Blocking.
    public static func registeredEntries() -> [RegisteredEntry] {
        guard let list = p11_kit_modules_load(nil, 0) else { return [] }
        defer { p11_kit_modules_release(list) }
        var entries: [RegisteredEntry] = []
        var index = 0
        while let functions = list[index] {
            index += 1
            entries.append(RegisteredEntry(
                name: takeString(p11_kit_module_get_name(functions)) ?? "",
                path: takeString(p11_kit_module_get_filename(functions)) ?? "",
                remote: takeString(p11_kit_config_option(functions, "remote")),
                isTrustPolicy: (takeString(p11_kit_config_option(functions, "trust-policy")) ?? "no").lowercased() == "yes"))
        }
        return entries
    }

    /// Finalises the module (`p11_kit_module_finalize`); later calls fail with `CKR_CRYPTOKI_NOT_INITIALIZED`.
    /// Safe to call more than once. Blocking.
    public func finalize() {
        let wasFinalized = finalized.withLock { done in
            defer { done = true }
            return done
        }
        guard !wasFinalized else { return }
        // The function list stays allocated until deinit, so a late call gets CKR_CRYPTOKI_NOT_INITIALIZED, not a crash.
        _ = p11_kit_module_finalize(functions)
    }

    /// The function list, or `CKR_CRYPTOKI_NOT_INITIALIZED` once `finalize()` was called: p11-kit keeps a shared
    /// module initialised while another user holds it, so the wrapper refuses late calls itself.
    func live(_ function: StaticString) throws(PKCS11Error) -> UnsafeMutablePointer<CK_FUNCTION_LIST> {
        if finalized.withLock({ $0 }) {
            throw PKCS11Error(.returnValue(.cryptokiNotInitialized), function: "\(function)", detail: "module finalised")
        }
        return functions
    }

    /// `C_GetInfo`. Blocking.
    public func info() throws(PKCS11Error) -> ModuleInfo {
        var info = CK_INFO()
        try check(try entry(live("C_GetInfo").pointee.C_GetInfo, "C_GetInfo")(&info), "C_GetInfo")
        return ModuleInfo(info)
    }

    /// `C_GetSlotList`, size first, then the list; retried when slots appear between the two calls. Blocking.
    public func slots(tokenPresent: Bool = true) throws(PKCS11Error) -> [SlotID] {
        let getSlotList = try entry(live("C_GetSlotList").pointee.C_GetSlotList, "C_GetSlotList")
        let present: CK_BBOOL = tokenPresent ? CK_BBOOL(CK_TRUE) : CK_BBOOL(CK_FALSE)
        while true {
            var count: CK_ULONG = 0
            try check(getSlotList(present, nil, &count), "C_GetSlotList")
            if count == 0 { return [] }
            var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
            let rv = getSlotList(present, &slots, &count)
            if rv == CK_RV(CKR_BUFFER_TOO_SMALL) { continue }
            try check(rv, "C_GetSlotList")
            return slots.prefix(Int(count)).map { SlotID($0) }
        }
    }

    /// `C_GetSlotInfo`. Blocking.
    public func slotInfo(_ slot: SlotID) throws(PKCS11Error) -> SlotInfo {
        var info = CK_SLOT_INFO()
        try check(try entry(live("C_GetSlotInfo").pointee.C_GetSlotInfo, "C_GetSlotInfo")(CK_SLOT_ID(slot), &info), "C_GetSlotInfo")
        return SlotInfo(id: slot, info)
    }

    /// `C_GetTokenInfo`: label, serial and the PIN flags, read fresh from the token. Blocking.
    public func tokenInfo(_ slot: SlotID) throws(PKCS11Error) -> TokenInfo {
        var info = CK_TOKEN_INFO()
        try check(try entry(live("C_GetTokenInfo").pointee.C_GetTokenInfo, "C_GetTokenInfo")(CK_SLOT_ID(slot), &info), "C_GetTokenInfo")
        return TokenInfo(info)
    }

    /// `C_GetMechanismList`. Blocking.
    public func mechanisms(_ slot: SlotID) throws(PKCS11Error) -> [MechanismType] {
        let getList = try entry(live("C_GetMechanismList").pointee.C_GetMechanismList, "C_GetMechanismList")
        var count: CK_ULONG = 0
        try check(getList(CK_SLOT_ID(slot), nil, &count), "C_GetMechanismList")
        var list = [CK_MECHANISM_TYPE](repeating: 0, count: Int(count))
        try check(getList(CK_SLOT_ID(slot), &list, &count), "C_GetMechanismList")
        return list.prefix(Int(count)).map { MechanismType(rawValue: UInt($0)) }
    }

    /// `C_WaitForSlotEvent`: the slot whose state changed, or `nil` when `blocking` is false and nothing happened.
    ///
    /// **Blocks** until an event when `blocking` is true: give it a thread of its own. Many modules (SoftHSM,
    /// p11-kit's proxy) answer `CKR_FUNCTION_NOT_SUPPORTED`; callers then poll `slots()`.
    public func waitForSlotEvent(blocking: Bool) throws(PKCS11Error) -> SlotID? {
        var slot: CK_SLOT_ID = 0
        let flags: CK_FLAGS = blocking ? 0 : CK_FLAGS(CKF_DONT_BLOCK)
        let rv = try entry(live("C_WaitForSlotEvent").pointee.C_WaitForSlotEvent, "C_WaitForSlotEvent")(flags, &slot, nil)
        if rv == CK_RV(CKR_NO_EVENT) { return nil }
        try check(rv, "C_WaitForSlotEvent")
        return SlotID(slot)
    }

    /// `C_OpenSession`: a serial session, read-only unless asked. Blocking.
    public func openSession(slot: SlotID, readWrite: Bool = false) throws(PKCS11Error) -> Session {
        var flags = CK_FLAGS(CKF_SERIAL_SESSION)
        if readWrite { flags |= CK_FLAGS(CKF_RW_SESSION) }
        var handle: CK_SESSION_HANDLE = 0
        try check(
            try entry(live("C_OpenSession").pointee.C_OpenSession, "C_OpenSession")(CK_SLOT_ID(slot), flags, nil, nil, &handle),
            "C_OpenSession")
        return Session(module: self, slot: slot, handle: handle)
    }
}

/// A module's entry in p11-kit's configuration.
public struct RegisteredEntry: Codable, Sendable, Equatable {
    /// p11-kit's name for it (`opensc`, `softhsm2`).
    public var name: String
    /// Its library file; empty for a `remote:` module, which p11-kit runs in a process of its own.
    public var path: String
    /// The `remote:` option, when set.
    public var remote: String?
    /// `trust-policy: yes`: a source of trust anchors, not a token to sign with.
    public var isTrustPolicy: Bool
}

/// Serialises the process-wide variable p11-kit's RPC client reads its address from.
private let clientEnvironment = Mutex(())

/// A module registered with p11-kit, loaded or not.
public enum RegisteredModule: Sendable {
    case loaded(PKCS11Module)
    case failed(name: String, path: String, error: PKCS11Error)
}

/// Owns the array from `p11_kit_modules_load`, released once no module from it is in use.
private final class LoadedModules: Sendable {
    nonisolated(unsafe) let list: UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>
    init(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>) { self.list = list }
    deinit { p11_kit_modules_release(list) }
}

/// Takes ownership of a string p11-kit allocated with malloc.
private func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { free(pointer) }
    return String(cString: pointer)
}
