extension TaxCode {
    /// Whether a certificate with this tax code may serve an account of `account`: the same code, or a 13-digit
    /// branch of the account's 10-digit code (`0101234567-001` belongs to `0101234567`). A parent's certificate does
    /// not serve a branch account, and branches do not serve each other.
    public func servesAccount(of account: TaxCode) -> Bool {
        if self == account { return true }
        return form == .branch && account.form == .enterprise && enterpriseCode == account.value
    }
}
