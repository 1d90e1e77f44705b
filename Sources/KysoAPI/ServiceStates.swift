// The enumerated states of kysod's status (`GET /v1/status`): Swift enums with the JSON's own spellings, so the
// daemon and the CLI match cases, not strings.

/// Whether kysod reaches pcscd.
public enum PCSCState: String, Codable, Sendable, CaseIterable {
    /// pcscd answers.
    case running
    /// pcscd is not running; kysod keeps retrying.
    case unavailable
    /// polkit refused kysod's connection.
    case refused
}

/// A PKCS#11 module's health.
public enum ModuleState: String, Codable, Sendable, CaseIterable {
    /// Its host is starting and has not answered a first scan yet.
    case starting
    case loaded
    /// Did not load, its host keeps dying, or its slot listing keeps failing: its tokens are withdrawn while kysod
    /// keeps retrying.
    case failed
    /// A call into it has not returned within the deadline: its tokens are withdrawn until it does.
    case stuck
}

/// How kysod learns of a module's slot changes.
public enum ModuleWatch: String, Codable, Sendable, CaseIterable {
    /// `C_WaitForSlotEvent`.
    case events
    /// The slot list every poll interval (and at once on a PC/SC reader event).
    case polling
    /// Never loaded.
    case none
}

/// Where a module runs.
public enum ModuleIsolation: String, Codable, Sendable, CaseIterable {
    /// In a kyso-module-host process kysod restarts when it crashes or hangs.
    case host
    /// In kysod itself.
    case inProcess = "in-process"
}
