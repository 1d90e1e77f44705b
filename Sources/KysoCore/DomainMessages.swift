public import KysoText

// The domain's values as catalog messages, worded in the reader's language by kyso and kysod (KysoText). The keys
// follow the values' wire names, so a value added here needs its key in every po/*.po (KysoTextTests checks).

extension HolderKind {
    /// `doanh nghiệp, tổ chức` / `organisation`.
    public var message: Message { Message("holderKind.\(rawValue)") }
}

extension CertificateStatus {
    /// As a certificate's profile says it: `valid`, `EXPIRED`, `NOT YET VALID`, `expiring soon`.
    public var message: Message { Message("certStatus.\(rawValue)") }
    /// As a table cell says it: `valid`, `expired`, `not yet valid`, `expires soon`.
    public var shortMessage: Message { Message("certStatus.short.\(rawValue)") }
}

extension PINStatus.State {
    /// As a table cell says it: `ok`, `tries low`, `final try`, `locked`, `not set`.
    public var shortMessage: Message { Message("pin.short.\(rawValue)") }
}

extension TaxCodeError {
    /// Why the text is not a tax code, for people.
    public var message: Message {
        switch self {
        case .empty: Message("taxCode.error.empty")
        case .invalidCharacters: Message("taxCode.error.invalidCharacters")
        case .misplacedHyphen: Message("taxCode.error.misplacedHyphen")
        case .wrongLength(let count): Message("taxCode.error.wrongLength", ["count": String(count)])
        case .zeroSequenceNumber: Message("taxCode.error.zeroSequenceNumber")
        case .branchZero: Message("taxCode.error.branchZero")
        case .noCheckDigitPossible: Message("taxCode.error.noCheckDigitPossible")
        case .wrongCheckDigit(let expected, let found):
            Message("taxCode.error.wrongCheckDigit", ["expected": String(expected), "found": String(found)])
        }
    }

    /// Why `text` is not a tax code, or nil when it is one.
    public static func of(_ text: String) -> TaxCodeError? {
        do {
            _ = try TaxCode(text)
            return nil
        } catch {
            return error
        }
    }
}

/// Key usages in words: the RFC 5280 names KysoCore reads become the purpose a declarant recognises
/// (`nonRepudiation` → `chống chối bỏ`); an extended key usage Kyso has no name for stays its dotted OID.
public enum KeyUsageWords {
    static let keyUsages: Set<String> = [
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign",
        "cRLSign", "encipherOnly", "decipherOnly",
    ]
    static let extendedKeyUsages: Set<String> = [
        "serverAuth", "clientAuth", "codeSigning", "emailProtection", "timeStamping", "ocspSigning",
        "anyExtendedKeyUsage", "smartcardLogon", "documentSigning", "encryptingFileSystem",
    ]

    public static func message(forKeyUsage name: String) -> Message {
        keyUsages.contains(name) ? Message("keyUsage.\(name)") : Message("keyUsage.other", ["name": name])
    }

    public static func message(forExtendedKeyUsage name: String) -> Message {
        extendedKeyUsages.contains(name) ? Message("extendedKeyUsage.\(name)") : Message("keyUsage.other", ["name": name])
    }
}

extension AccountFieldError {
    /// What is wrong with the field, for people: one text per field and code (the value itself is not repeated,
    /// so a secret never is), the tax code's own reason inside when it is the tax code.
    public var message: Message {
        let key = messageKey ?? "accountField.\(identifier)"
        guard let taxCodeError else { return Message(key, arguments) }
        return Message(key, arguments, parts: ["reason": taxCodeError.message])
    }
}
