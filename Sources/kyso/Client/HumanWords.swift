import KysoAPI
import KysoCore

// The words tables show for the API's enum values: `countLow`, `finalTry`, `expiringSoon` are wire names, not what a
// person reads (issue 13, friction).

extension PINStatus.State {
    var words: String {
        switch self {
        case .ok: "ok"
        case .countLow: "tries low"
        case .finalTry: "final try"
        case .locked: "locked"
        case .notInitialized: "not set"
        }
    }
}

extension CertificateStatus {
    var words: String {
        switch self {
        case .valid: "valid"
        case .expired: "expired"
        case .notYetValid: "not yet valid"
        case .expiringSoon: "expires soon"
        }
    }
}

extension AccountSummary {
    /// `KYSOC001` for a declarant, `admin 0101234567` for a tax code's admin account.
    var words: String { role == .admin ? "admin \(account)" : account }
}
