import Foundation
import KysoAPI
import KysoCore

/// What `kyso doctor` found, in the shape `--json` prints.
struct DoctorReport: Codable, Sendable {
    /// `DoctorSummary`'s line ("3 tokens ready, 1 certificate expired"), filled in before printing.
    var summary: String?
    var pcsc: PCSCSection
    var modules: [ModuleSection]
    /// What the running kysod says about its modules; absent when kysod does not answer.
    var daemon: DaemonSection?
    /// Every problem found, each with the fix, most important first.
    var problems: [Problem]
}

/// A problem in plain words and what to do about it.
struct Problem: Codable, Sendable, Hashable {
    enum Severity: String, Codable, Sendable, Comparable {
        case error, warning, note
        static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
    }
    var severity: Severity
    var what: String
    var fix: String
}

struct PCSCSection: Codable, Sendable {
    /// Whether pcscd answered.
    var reachable: Bool
    var error: String?
    var readers: [ReaderSection]
}

struct ReaderSection: Codable, Sendable {
    var name: String
    var cardPresent: Bool
    /// The card's answer to reset, lowercase hex without separators.
    var atr: String?
    /// State words from pcscd: `present`, `inUse`, `exclusive`, `mute`, …
    var state: [String]
}

struct ModuleSection: Codable, Sendable {
    var name: String
    var path: String
    /// Registered with p11-kit, or added with `--module`.
    var source: String
    var loaded: Bool
    var error: String?
    var trustPolicy: Bool
    var library: LibrarySection?
    var tokens: [TokenSection]
    /// The module did not answer within doctor's time bound (its check was abandoned).
    var stuck: Bool?
}

/// kysod's own view, from GET /v1/status: it has watched the modules for longer than doctor's one look.
struct DaemonSection: Codable, Sendable {
    var socket: String
    var version: String
    var modules: [DaemonModule]

    struct DaemonModule: Codable, Sendable {
        var name: String
        var state: ModuleState
        var error: String?
        var pendingCall: String?
        var since: Date?
        var tokenCount: Int
    }
}

struct LibrarySection: Codable, Sendable {
    var manufacturer: String
    var description: String
    var version: String
    var cryptokiVersion: String
}

struct TokenSection: Codable, Sendable {
    var slot: UInt
    var slotDescription: String
    var label: String
    var manufacturer: String
    var model: String
    var serialNumber: String
    var flags: [String]
    var pin: PINStatus
    var pinWords: String
    var uri: String
    var error: String?
    var certificates: [CertificateSection]
}

struct CertificateSection: Codable, Sendable {
    var label: String
    /// `CKA_ID`, lowercase hex.
    var objectID: String
    var uri: String
    var privateKeyOnToken: Bool
    var keyEvidence: String
    var privateKeyURI: String?
    var profile: CertificateProfile?
    var error: String?
}
