import CP11Kit

/// The one error type of the PKCS#11 wrapper: which C function failed, and why.
///
/// Errors compare by `code` and `function`, so tests can build the error they expect.
public struct PKCS11Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, independent of the function that reported it.
    public enum Code: Hashable, Sendable {
        /// The module returned this `CK_RV`.
        case returnValue(ReturnValue)
        /// The module file could not be loaded (missing, not a PKCS#11 module, wrong architecture).
        case moduleNotLoaded
        /// The module's function list has no entry for the function (a missing pointer is an error, not a crash).
        case functionMissing
        /// A `pkcs11:` URI that p11-kit could not parse or format.
        case invalidURI
    }

    public let code: Code
    /// The C function that failed, e.g. `C_Login` or `p11_kit_module_load`.
    public let function: String
    /// Extra words from p11-kit or the caller (a path, p11-kit's message); never a PIN.
    public let detail: String?

    public init(_ code: Code, function: String, detail: String? = nil) {
        self.code = code
        self.function = function
        self.detail = detail
    }

    /// The `CK_RV` when the module returned one.
    public var returnValue: ReturnValue? {
        if case .returnValue(let rv) = code { return rv }
        return nil
    }

    public var description: String {
        let what: String
        switch code {
        case .returnValue(let rv): what = rv.name
        case .moduleNotLoaded: what = "module could not be loaded"
        case .functionMissing: what = "function not provided by the module"
        case .invalidURI: what = "invalid pkcs11: URI"
        }
        if let detail { return "\(function): \(what) (\(detail))" }
        return "\(function): \(what)"
    }

    public static func == (lhs: PKCS11Error, rhs: PKCS11Error) -> Bool {
        lhs.code == rhs.code && lhs.function == rhs.function
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(function)
    }
}

/// The single checker every `CK_RV` goes through.
@inline(__always)
func check(_ rv: CK_RV, _ function: StaticString) throws(PKCS11Error) {
    guard rv == CK_RV(CKR_OK) else {
        throw PKCS11Error(.returnValue(ReturnValue(rawValue: rv)), function: "\(function)")
    }
}

/// Unwraps a function pointer from a module's function list.
@inline(__always)
func entry<F>(_ pointer: F?, _ function: StaticString) throws(PKCS11Error) -> F {
    guard let pointer else { throw PKCS11Error(.functionMissing, function: "\(function)") }
    return pointer
}
