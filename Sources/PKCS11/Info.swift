import CP11Kit

/// A `CK_VERSION`, printed as `major.minor`.
public struct Version: Hashable, Sendable, CustomStringConvertible {
    public let major: UInt8
    public let minor: UInt8
    public var description: String { "\(major).\(minor)" }
    init(_ version: CK_VERSION) { self.init(major: version.major, minor: version.minor) }
    public init(major: UInt8, minor: UInt8) { self.major = major; self.minor = minor }
}

/// `CK_INFO`: what a module says about itself.
public struct ModuleInfo: Hashable, Sendable {
    public let cryptokiVersion: Version
    public let manufacturerID: String
    public let libraryDescription: String
    public let libraryVersion: Version

    init(_ info: CK_INFO) {
        cryptokiVersion = Version(info.cryptokiVersion)
        manufacturerID = FixedWidthText.decode(info.manufacturerID)
        libraryDescription = FixedWidthText.decode(info.libraryDescription)
        libraryVersion = Version(info.libraryVersion)
    }
}

/// `CK_SLOT_INFO`: a reader or a virtual slot.
public struct SlotInfo: Hashable, Sendable {
    public let id: SlotID
    public let description: String
    public let manufacturerID: String
    public let flags: SlotFlags
    public let hardwareVersion: Version
    public let firmwareVersion: Version

    init(id: SlotID, _ info: CK_SLOT_INFO) {
        self.id = id
        description = FixedWidthText.decode(info.slotDescription)
        manufacturerID = FixedWidthText.decode(info.manufacturerID)
        flags = SlotFlags(rawValue: UInt(info.flags))
        hardwareVersion = Version(info.hardwareVersion)
        firmwareVersion = Version(info.firmwareVersion)
    }
}

/// A PKCS#11 slot identifier (`CK_SLOT_ID`), meaningful only within its module.
public typealias SlotID = UInt

public struct SlotFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let tokenPresent = SlotFlags(rawValue: UInt(CKF_TOKEN_PRESENT))
    public static let removableDevice = SlotFlags(rawValue: UInt(CKF_REMOVABLE_DEVICE))
    public static let hardwareSlot = SlotFlags(rawValue: UInt(CKF_HW_SLOT))
}

/// `CK_TOKEN_INFO`: the token in a slot.
public struct TokenInfo: Hashable, Sendable {
    public let label: String
    public let manufacturerID: String
    public let model: String
    public let serialNumber: String
    public let flags: TokenFlags
    public let minPINLength: UInt
    public let maxPINLength: UInt
    public let hardwareVersion: Version
    public let firmwareVersion: Version

    public init(
        label: String, manufacturerID: String, model: String, serialNumber: String,
        flags: TokenFlags = [], minPINLength: UInt = 0, maxPINLength: UInt = 0,
        hardwareVersion: Version = Version(major: 0, minor: 0),
        firmwareVersion: Version = Version(major: 0, minor: 0)
    ) {
        self.label = label
        self.manufacturerID = manufacturerID
        self.model = model
        self.serialNumber = serialNumber
        self.flags = flags
        self.minPINLength = minPINLength
        self.maxPINLength = maxPINLength
        self.hardwareVersion = hardwareVersion
        self.firmwareVersion = firmwareVersion
    }

    init(_ info: CK_TOKEN_INFO) {
        self.init(
            label: FixedWidthText.decode(info.label),
            manufacturerID: FixedWidthText.decode(info.manufacturerID),
            model: FixedWidthText.decode(info.model),
            serialNumber: FixedWidthText.decode(info.serialNumber),
            flags: TokenFlags(rawValue: UInt(info.flags)),
            minPINLength: UInt(info.ulMinPinLen),
            maxPINLength: UInt(info.ulMaxPinLen),
            hardwareVersion: Version(info.hardwareVersion),
            firmwareVersion: Version(info.firmwareVersion)
        )
    }

    /// The identifying fields as a `CK_TOKEN_INFO`, for p11-kit's URI functions.
    var cTokenInfo: CK_TOKEN_INFO {
        var info = CK_TOKEN_INFO()
        FixedWidthText.encode(label, into: &info.label)
        FixedWidthText.encode(manufacturerID, into: &info.manufacturerID)
        FixedWidthText.encode(model, into: &info.model)
        FixedWidthText.encode(serialNumber, into: &info.serialNumber)
        return info
    }
}

/// Token flags, including the PIN counters that tell whether the next wrong PIN locks the token.
public struct TokenFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rng = TokenFlags(rawValue: UInt(CKF_RNG))
    public static let writeProtected = TokenFlags(rawValue: UInt(CKF_WRITE_PROTECTED))
    public static let loginRequired = TokenFlags(rawValue: UInt(CKF_LOGIN_REQUIRED))
    public static let userPINInitialized = TokenFlags(rawValue: UInt(CKF_USER_PIN_INITIALIZED))
    public static let protectedAuthenticationPath = TokenFlags(rawValue: UInt(CKF_PROTECTED_AUTHENTICATION_PATH))
    public static let tokenInitialized = TokenFlags(rawValue: UInt(CKF_TOKEN_INITIALIZED))
    public static let userPINCountLow = TokenFlags(rawValue: UInt(CKF_USER_PIN_COUNT_LOW))
    public static let userPINFinalTry = TokenFlags(rawValue: UInt(CKF_USER_PIN_FINAL_TRY))
    public static let userPINLocked = TokenFlags(rawValue: UInt(CKF_USER_PIN_LOCKED))
    public static let userPINToBeChanged = TokenFlags(rawValue: UInt(CKF_USER_PIN_TO_BE_CHANGED))
    public static let soPINCountLow = TokenFlags(rawValue: UInt(CKF_SO_PIN_COUNT_LOW))
    public static let soPINFinalTry = TokenFlags(rawValue: UInt(CKF_SO_PIN_FINAL_TRY))
    public static let soPINLocked = TokenFlags(rawValue: UInt(CKF_SO_PIN_LOCKED))

    /// Flag names as the specification spells them (without `CKF_`), for reports and JSON.
    public var names: [String] {
        let all: [(TokenFlags, String)] = [
            (.rng, "RNG"), (.writeProtected, "WRITE_PROTECTED"), (.loginRequired, "LOGIN_REQUIRED"),
            (.userPINInitialized, "USER_PIN_INITIALIZED"),
            (.protectedAuthenticationPath, "PROTECTED_AUTHENTICATION_PATH"),
            (.tokenInitialized, "TOKEN_INITIALIZED"), (.userPINCountLow, "USER_PIN_COUNT_LOW"),
            (.userPINFinalTry, "USER_PIN_FINAL_TRY"), (.userPINLocked, "USER_PIN_LOCKED"),
            (.userPINToBeChanged, "USER_PIN_TO_BE_CHANGED"), (.soPINCountLow, "SO_PIN_COUNT_LOW"),
            (.soPINFinalTry, "SO_PIN_FINAL_TRY"), (.soPINLocked, "SO_PIN_LOCKED"),
        ]
        return all.filter { contains($0.0) }.map(\.1)
    }
}
