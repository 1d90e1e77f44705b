import CP11Kit

/// A PKCS#11 return value (`CK_RV`) with its specification name.
public struct ReturnValue: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public var description: String { name }

    /// The `CKR_*` name, or the hex value for vendor-defined codes.
    public var name: String {
        Self.names[rawValue] ?? (rawValue >= UInt(kyso_CKR_VENDOR_DEFINED)
            ? "CKR_VENDOR_DEFINED+0x\(String(rawValue - UInt(kyso_CKR_VENDOR_DEFINED), radix: 16))"
            : "CKR_0x\(String(rawValue, radix: 16))")
    }

    public static let ok = ReturnValue(rawValue: UInt(CKR_OK))
    public static let generalError = ReturnValue(rawValue: UInt(CKR_GENERAL_ERROR))
    public static let functionNotSupported = ReturnValue(rawValue: UInt(CKR_FUNCTION_NOT_SUPPORTED))
    public static let noEvent = ReturnValue(rawValue: UInt(CKR_NO_EVENT))
    public static let slotIDInvalid = ReturnValue(rawValue: UInt(CKR_SLOT_ID_INVALID))
    public static let deviceRemoved = ReturnValue(rawValue: UInt(CKR_DEVICE_REMOVED))
    public static let tokenNotPresent = ReturnValue(rawValue: UInt(CKR_TOKEN_NOT_PRESENT))
    public static let tokenNotRecognized = ReturnValue(rawValue: UInt(CKR_TOKEN_NOT_RECOGNIZED))
    public static let sessionHandleInvalid = ReturnValue(rawValue: UInt(CKR_SESSION_HANDLE_INVALID))
    public static let objectHandleInvalid = ReturnValue(rawValue: UInt(CKR_OBJECT_HANDLE_INVALID))
    public static let keyHandleInvalid = ReturnValue(rawValue: UInt(CKR_KEY_HANDLE_INVALID))
    public static let mechanismInvalid = ReturnValue(rawValue: UInt(CKR_MECHANISM_INVALID))
    public static let mechanismParamInvalid = ReturnValue(rawValue: UInt(CKR_MECHANISM_PARAM_INVALID))
    public static let argumentsBad = ReturnValue(rawValue: UInt(CKR_ARGUMENTS_BAD))
    public static let encryptedDataInvalid = ReturnValue(rawValue: UInt(CKR_ENCRYPTED_DATA_INVALID))
    public static let encryptedDataLenRange = ReturnValue(rawValue: UInt(CKR_ENCRYPTED_DATA_LEN_RANGE))
    public static let keyFunctionNotPermitted = ReturnValue(rawValue: UInt(CKR_KEY_FUNCTION_NOT_PERMITTED))
    public static let keyTypeInconsistent = ReturnValue(rawValue: UInt(CKR_KEY_TYPE_INCONSISTENT))
    public static let pinIncorrect = ReturnValue(rawValue: UInt(CKR_PIN_INCORRECT))
    public static let pinLocked = ReturnValue(rawValue: UInt(CKR_PIN_LOCKED))
    public static let pinLenRange = ReturnValue(rawValue: UInt(CKR_PIN_LEN_RANGE))
    public static let userAlreadyLoggedIn = ReturnValue(rawValue: UInt(CKR_USER_ALREADY_LOGGED_IN))
    public static let userNotLoggedIn = ReturnValue(rawValue: UInt(CKR_USER_NOT_LOGGED_IN))
    public static let userPINNotInitialized = ReturnValue(rawValue: UInt(CKR_USER_PIN_NOT_INITIALIZED))
    public static let attributeTypeInvalid = ReturnValue(rawValue: UInt(CKR_ATTRIBUTE_TYPE_INVALID))
    public static let attributeSensitive = ReturnValue(rawValue: UInt(CKR_ATTRIBUTE_SENSITIVE))
    public static let cryptokiNotInitialized = ReturnValue(rawValue: UInt(CKR_CRYPTOKI_NOT_INITIALIZED))
    public static let cryptokiAlreadyInitialized = ReturnValue(rawValue: UInt(CKR_CRYPTOKI_ALREADY_INITIALIZED))

    private static let names: [UInt: String] = {
        var table: [UInt: String] = [:]
        for (value, name) in namedValues { table[UInt(value)] = name }
        return table
    }()

    private static let namedValues: [(CK_RV, String)] = [
        (CK_RV(CKR_OK), "CKR_OK"),
        (CK_RV(CKR_CANCEL), "CKR_CANCEL"),
        (CK_RV(CKR_HOST_MEMORY), "CKR_HOST_MEMORY"),
        (CK_RV(CKR_SLOT_ID_INVALID), "CKR_SLOT_ID_INVALID"),
        (CK_RV(CKR_GENERAL_ERROR), "CKR_GENERAL_ERROR"),
        (CK_RV(CKR_FUNCTION_FAILED), "CKR_FUNCTION_FAILED"),
        (CK_RV(CKR_ARGUMENTS_BAD), "CKR_ARGUMENTS_BAD"),
        (CK_RV(CKR_NO_EVENT), "CKR_NO_EVENT"),
        (CK_RV(CKR_NEED_TO_CREATE_THREADS), "CKR_NEED_TO_CREATE_THREADS"),
        (CK_RV(CKR_CANT_LOCK), "CKR_CANT_LOCK"),
        (CK_RV(CKR_ATTRIBUTE_READ_ONLY), "CKR_ATTRIBUTE_READ_ONLY"),
        (CK_RV(CKR_ATTRIBUTE_SENSITIVE), "CKR_ATTRIBUTE_SENSITIVE"),
        (CK_RV(CKR_ATTRIBUTE_TYPE_INVALID), "CKR_ATTRIBUTE_TYPE_INVALID"),
        (CK_RV(CKR_ATTRIBUTE_VALUE_INVALID), "CKR_ATTRIBUTE_VALUE_INVALID"),
        (CK_RV(CKR_DATA_INVALID), "CKR_DATA_INVALID"),
        (CK_RV(CKR_DATA_LEN_RANGE), "CKR_DATA_LEN_RANGE"),
        (CK_RV(CKR_DEVICE_ERROR), "CKR_DEVICE_ERROR"),
        (CK_RV(CKR_DEVICE_MEMORY), "CKR_DEVICE_MEMORY"),
        (CK_RV(CKR_DEVICE_REMOVED), "CKR_DEVICE_REMOVED"),
        (CK_RV(CKR_ENCRYPTED_DATA_INVALID), "CKR_ENCRYPTED_DATA_INVALID"),
        (CK_RV(CKR_ENCRYPTED_DATA_LEN_RANGE), "CKR_ENCRYPTED_DATA_LEN_RANGE"),
        (CK_RV(CKR_FUNCTION_CANCELED), "CKR_FUNCTION_CANCELED"),
        (CK_RV(CKR_FUNCTION_NOT_PARALLEL), "CKR_FUNCTION_NOT_PARALLEL"),
        (CK_RV(CKR_FUNCTION_NOT_SUPPORTED), "CKR_FUNCTION_NOT_SUPPORTED"),
        (CK_RV(CKR_KEY_HANDLE_INVALID), "CKR_KEY_HANDLE_INVALID"),
        (CK_RV(CKR_KEY_SIZE_RANGE), "CKR_KEY_SIZE_RANGE"),
        (CK_RV(CKR_KEY_TYPE_INCONSISTENT), "CKR_KEY_TYPE_INCONSISTENT"),
        (CK_RV(CKR_KEY_FUNCTION_NOT_PERMITTED), "CKR_KEY_FUNCTION_NOT_PERMITTED"),
        (CK_RV(CKR_MECHANISM_INVALID), "CKR_MECHANISM_INVALID"),
        (CK_RV(CKR_MECHANISM_PARAM_INVALID), "CKR_MECHANISM_PARAM_INVALID"),
        (CK_RV(CKR_OBJECT_HANDLE_INVALID), "CKR_OBJECT_HANDLE_INVALID"),
        (CK_RV(CKR_OPERATION_ACTIVE), "CKR_OPERATION_ACTIVE"),
        (CK_RV(CKR_OPERATION_NOT_INITIALIZED), "CKR_OPERATION_NOT_INITIALIZED"),
        (CK_RV(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT"),
        (CK_RV(CKR_PIN_INVALID), "CKR_PIN_INVALID"),
        (CK_RV(CKR_PIN_LEN_RANGE), "CKR_PIN_LEN_RANGE"),
        (CK_RV(CKR_PIN_EXPIRED), "CKR_PIN_EXPIRED"),
        (CK_RV(CKR_PIN_LOCKED), "CKR_PIN_LOCKED"),
        (CK_RV(CKR_SESSION_CLOSED), "CKR_SESSION_CLOSED"),
        (CK_RV(CKR_SESSION_COUNT), "CKR_SESSION_COUNT"),
        (CK_RV(CKR_SESSION_HANDLE_INVALID), "CKR_SESSION_HANDLE_INVALID"),
        (CK_RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED), "CKR_SESSION_PARALLEL_NOT_SUPPORTED"),
        (CK_RV(CKR_SESSION_READ_ONLY), "CKR_SESSION_READ_ONLY"),
        (CK_RV(CKR_SESSION_EXISTS), "CKR_SESSION_EXISTS"),
        (CK_RV(CKR_SESSION_READ_ONLY_EXISTS), "CKR_SESSION_READ_ONLY_EXISTS"),
        (CK_RV(CKR_SESSION_READ_WRITE_SO_EXISTS), "CKR_SESSION_READ_WRITE_SO_EXISTS"),
        (CK_RV(CKR_SIGNATURE_INVALID), "CKR_SIGNATURE_INVALID"),
        (CK_RV(CKR_SIGNATURE_LEN_RANGE), "CKR_SIGNATURE_LEN_RANGE"),
        (CK_RV(CKR_TEMPLATE_INCOMPLETE), "CKR_TEMPLATE_INCOMPLETE"),
        (CK_RV(CKR_TEMPLATE_INCONSISTENT), "CKR_TEMPLATE_INCONSISTENT"),
        (CK_RV(CKR_TOKEN_NOT_PRESENT), "CKR_TOKEN_NOT_PRESENT"),
        (CK_RV(CKR_TOKEN_NOT_RECOGNIZED), "CKR_TOKEN_NOT_RECOGNIZED"),
        (CK_RV(CKR_TOKEN_WRITE_PROTECTED), "CKR_TOKEN_WRITE_PROTECTED"),
        (CK_RV(CKR_USER_ALREADY_LOGGED_IN), "CKR_USER_ALREADY_LOGGED_IN"),
        (CK_RV(CKR_USER_NOT_LOGGED_IN), "CKR_USER_NOT_LOGGED_IN"),
        (CK_RV(CKR_USER_PIN_NOT_INITIALIZED), "CKR_USER_PIN_NOT_INITIALIZED"),
        (CK_RV(CKR_USER_TYPE_INVALID), "CKR_USER_TYPE_INVALID"),
        (CK_RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"),
        (CK_RV(CKR_USER_TOO_MANY_TYPES), "CKR_USER_TOO_MANY_TYPES"),
        (CK_RV(CKR_BUFFER_TOO_SMALL), "CKR_BUFFER_TOO_SMALL"),
        (CK_RV(CKR_RANDOM_NO_RNG), "CKR_RANDOM_NO_RNG"),
        (CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED), "CKR_CRYPTOKI_NOT_INITIALIZED"),
        (CK_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED), "CKR_CRYPTOKI_ALREADY_INITIALIZED"),
        (CK_RV(CKR_MUTEX_BAD), "CKR_MUTEX_BAD"),
        (CK_RV(CKR_MUTEX_NOT_LOCKED), "CKR_MUTEX_NOT_LOCKED"),
        (CK_RV(CKR_FUNCTION_REJECTED), "CKR_FUNCTION_REJECTED"),
    ]
}
