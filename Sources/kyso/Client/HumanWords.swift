import KysoAPI
import KysoCore
import KysoText

// The words tables show for the API's enum values: `countLow`, `finalTry`, `expiringSoon` are wire names, not what a
// person reads (issue 13, friction); in the reader's language (issue 14).

extension PINStatus.State {
    var words: String { tr(shortMessage) }
}

extension CertificateStatus {
    var words: String { tr(shortMessage) }
}

extension AccountSummary {
    /// `KYSOC001` for a declarant, `admin 0101234567` for a tax code's admin account.
    var words: String { role == .admin ? tr("account.adminName", ["taxCode": account]) : account }
}
