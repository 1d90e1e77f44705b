import CP11Kit

#if canImport(Glibc)
import Glibc
#endif

/// The module side of a module host: one PKCS#11 module served over one connection with p11-kit's RPC protocol
/// (`p11_kit_remote_serve_module`, what `p11-kit remote` runs), so kysod calls it through `p11-kit-client.so`.
///
/// Why not `p11-kit remote` itself: it initialises the module with locking (`CKF_OS_LOCKING_OK`), and OpenSC 0.23
/// initialised that way deadlocks in `C_GetTokenInfo` when a card is pulled (docs/module-hosts.md). The RPC server
/// handles one request at a time on one thread, so the module here is initialised with `C_Initialize(NULL)`: the
/// PKCS#11 promise that the caller serialises every call, which this loop keeps. A blocking `C_WaitForSlotEvent`
/// would hold that one thread and every other call behind it, so it is refused; kysod polls the slot list, and
/// pcscd's reader events (kysod's reader monitor) make it look at once.
public enum ModuleHostServer {
    /// Loads the module file. Blocking (runs the library's constructors only; nothing is initialised yet).
    public static func load(path: String) throws(PKCS11Error) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PKCS11Error(.moduleNotLoaded, function: "dlopen", detail: dlerror().map { String(cString: $0) } ?? path)
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            throw PKCS11Error(.moduleNotLoaded, function: "dlsym", detail: "\(path) has no C_GetFunctionList")
        }
        let getFunctionList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        try check(getFunctionList(&list), "C_GetFunctionList")
        guard let list else { throw PKCS11Error(.functionMissing, function: "C_GetFunctionList", detail: path) }
        hostedFunctions = list
        served = list.pointee
        served.C_Initialize = { _ in
            guard let initialize = hostedFunctions?.pointee.C_Initialize else { return CK_RV(CKR_GENERAL_ERROR) }
            return initialize(nil)
        }
        served.C_WaitForSlotEvent = { _, _, _ in CK_RV(CKR_FUNCTION_NOT_SUPPORTED) }
    }

    /// Serves the loaded module on `fd` until the client hangs up; the exit status `p11_kit_remote_serve_module`
    /// returns (0 after a clean hang-up). Blocking, for the host's main thread only.
    public static func serve(fd: Int32) -> Int32 {
        Int32(p11_kit_remote_serve_module(&served, fd, fd))
    }

    /// `C_Finalize` on the module, when the client left it initialised (kysod killed, or the connection cut).
    public static func finalizeIfNeeded() {
        _ = hostedFunctions?.pointee.C_Finalize?(nil)
    }

    nonisolated(unsafe) private static var served = CK_FUNCTION_LIST()
}

// The host serves exactly one module for its whole life, and a C function pointer cannot capture context.
nonisolated(unsafe) private var hostedFunctions: UnsafeMutablePointer<CK_FUNCTION_LIST>?
