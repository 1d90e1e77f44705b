/// A failed pcsc-lite call: the `SCARD_*` return code and the C function that returned it.
///
/// Errors compare by code and function, so tests can build the error they expect.
public struct PCSCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `LONG` return code, e.g. `0x8010001D` for `SCARD_E_NO_SERVICE`.
    public let code: Code
    /// The pcsc-lite function that failed, e.g. `"SCardEstablishContext"`.
    public let function: String

    public init(code: Code, function: String) {
        self.code = code
        self.function = function
    }

    public var description: String {
        var text = "\(function) failed: \(code.name) (0x\(String(code.rawValue, radix: 16, uppercase: true)))"
        if let hint = code.hint { text += ": \(hint)" }
        return text
    }

    /// A pcsc-lite return code with its `SCARD_*` name.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// `SCARD_E_CANCELLED`: `SCardCancel` ended a wait.
        public static let cancelled = Code(rawValue: 0x8010_0002)
        /// `SCARD_E_INVALID_HANDLE`: the context was released or belongs to a pcscd that is gone.
        public static let invalidHandle = Code(rawValue: 0x8010_0003)
        /// `SCARD_E_INVALID_PARAMETER`.
        public static let invalidParameter = Code(rawValue: 0x8010_0004)
        /// `SCARD_E_INSUFFICIENT_BUFFER`: the reader list grew between the two calls.
        public static let insufficientBuffer = Code(rawValue: 0x8010_0008)
        /// `SCARD_E_UNKNOWN_READER`: a reader vanished while we waited on it.
        public static let unknownReader = Code(rawValue: 0x8010_0009)
        /// `SCARD_E_TIMEOUT`.
        public static let timeout = Code(rawValue: 0x8010_000A)
        /// `SCARD_E_SHARING_VIOLATION`: another program holds the card exclusively.
        public static let sharingViolation = Code(rawValue: 0x8010_000B)
        /// `SCARD_E_NO_SMARTCARD`.
        public static let noSmartcard = Code(rawValue: 0x8010_000C)
        /// `SCARD_F_COMM_ERROR`: the socket to pcscd broke.
        public static let commError = Code(rawValue: 0x8010_0013)
        /// `SCARD_E_READER_UNAVAILABLE`.
        public static let readerUnavailable = Code(rawValue: 0x8010_0017)
        /// `SCARD_E_NO_SERVICE`: pcscd is not running (or its socket is not reachable).
        public static let noService = Code(rawValue: 0x8010_001D)
        /// `SCARD_E_SERVICE_STOPPED`: pcscd stopped while we talked to it.
        public static let serviceStopped = Code(rawValue: 0x8010_001E)
        /// `SCARD_E_NO_READERS_AVAILABLE`.
        public static let noReadersAvailable = Code(rawValue: 0x8010_002E)
        /// `SCARD_W_REMOVED_CARD`.
        public static let removedCard = Code(rawValue: 0x8010_0069)
        /// `SCARD_W_SECURITY_VIOLATION`: pcscd's polkit check refused this user.
        public static let securityViolation = Code(rawValue: 0x8010_006A)

        /// The `SCARD_*` name from pcsclite.h, or the hex value for codes it does not define.
        public var name: String {
            Self.names[rawValue] ?? "SCARD_0x\(String(rawValue, radix: 16, uppercase: true))"
        }

        public var description: String { name }

        /// What the user should do about the codes that have a known cause and fix.
        public var hint: String? {
            switch self {
            case .noService:
                "pcscd is not running or not reachable: start it with `sudo systemctl start pcscd.socket` (apt install pcscd)"
            case .serviceStopped, .commError:
                "pcscd stopped or restarted; it will be reached again when it is back"
            case .securityViolation:
                "pcscd's polkit policy refused this user: install systemd/polkit/50-kyso-pcscd.rules into /etc/polkit-1/rules.d/ (allows user/group kyso org.debian.pcsc-lite.access_pcsc and access_card), or run from an active local session"
            case .sharingViolation:
                "another program holds the card exclusively; close it (vendor tool, browser) and retry"
            default:
                nil
            }
        }

        // Names as pcsclite.h spells them; SCARD_E_UNEXPECTED and SCARD_E_UNSUPPORTED_FEATURE share 0x8010001F.
        private static let names: [Int: String] = [
            0x0000_0000: "SCARD_S_SUCCESS",
            0x8010_0001: "SCARD_F_INTERNAL_ERROR",
            0x8010_0002: "SCARD_E_CANCELLED",
            0x8010_0003: "SCARD_E_INVALID_HANDLE",
            0x8010_0004: "SCARD_E_INVALID_PARAMETER",
            0x8010_0005: "SCARD_E_INVALID_TARGET",
            0x8010_0006: "SCARD_E_NO_MEMORY",
            0x8010_0007: "SCARD_F_WAITED_TOO_LONG",
            0x8010_0008: "SCARD_E_INSUFFICIENT_BUFFER",
            0x8010_0009: "SCARD_E_UNKNOWN_READER",
            0x8010_000A: "SCARD_E_TIMEOUT",
            0x8010_000B: "SCARD_E_SHARING_VIOLATION",
            0x8010_000C: "SCARD_E_NO_SMARTCARD",
            0x8010_000D: "SCARD_E_UNKNOWN_CARD",
            0x8010_000E: "SCARD_E_CANT_DISPOSE",
            0x8010_000F: "SCARD_E_PROTO_MISMATCH",
            0x8010_0010: "SCARD_E_NOT_READY",
            0x8010_0011: "SCARD_E_INVALID_VALUE",
            0x8010_0012: "SCARD_E_SYSTEM_CANCELLED",
            0x8010_0013: "SCARD_F_COMM_ERROR",
            0x8010_0014: "SCARD_F_UNKNOWN_ERROR",
            0x8010_0015: "SCARD_E_INVALID_ATR",
            0x8010_0016: "SCARD_E_NOT_TRANSACTED",
            0x8010_0017: "SCARD_E_READER_UNAVAILABLE",
            0x8010_0018: "SCARD_P_SHUTDOWN",
            0x8010_0019: "SCARD_E_PCI_TOO_SMALL",
            0x8010_001A: "SCARD_E_READER_UNSUPPORTED",
            0x8010_001B: "SCARD_E_DUPLICATE_READER",
            0x8010_001C: "SCARD_E_CARD_UNSUPPORTED",
            0x8010_001D: "SCARD_E_NO_SERVICE",
            0x8010_001E: "SCARD_E_SERVICE_STOPPED",
            0x8010_001F: "SCARD_E_UNSUPPORTED_FEATURE",
            0x8010_0020: "SCARD_E_ICC_INSTALLATION",
            0x8010_0021: "SCARD_E_ICC_CREATEORDER",
            0x8010_0023: "SCARD_E_DIR_NOT_FOUND",
            0x8010_0024: "SCARD_E_FILE_NOT_FOUND",
            0x8010_0025: "SCARD_E_NO_DIR",
            0x8010_0026: "SCARD_E_NO_FILE",
            0x8010_0027: "SCARD_E_NO_ACCESS",
            0x8010_0028: "SCARD_E_WRITE_TOO_MANY",
            0x8010_0029: "SCARD_E_BAD_SEEK",
            0x8010_002A: "SCARD_E_INVALID_CHV",
            0x8010_002B: "SCARD_E_UNKNOWN_RES_MNG",
            0x8010_002C: "SCARD_E_NO_SUCH_CERTIFICATE",
            0x8010_002D: "SCARD_E_CERTIFICATE_UNAVAILABLE",
            0x8010_002E: "SCARD_E_NO_READERS_AVAILABLE",
            0x8010_002F: "SCARD_E_COMM_DATA_LOST",
            0x8010_0030: "SCARD_E_NO_KEY_CONTAINER",
            0x8010_0031: "SCARD_E_SERVER_TOO_BUSY",
            0x8010_0065: "SCARD_W_UNSUPPORTED_CARD",
            0x8010_0066: "SCARD_W_UNRESPONSIVE_CARD",
            0x8010_0067: "SCARD_W_UNPOWERED_CARD",
            0x8010_0068: "SCARD_W_RESET_CARD",
            0x8010_0069: "SCARD_W_REMOVED_CARD",
            0x8010_006A: "SCARD_W_SECURITY_VIOLATION",
            0x8010_006B: "SCARD_W_WRONG_CHV",
            0x8010_006C: "SCARD_W_CHV_BLOCKED",
            0x8010_006D: "SCARD_W_EOF",
            0x8010_006E: "SCARD_W_CANCELLED_BY_USER",
            0x8010_006F: "SCARD_W_CARD_NOT_AUTHENTICATED",
        ]
    }
}
