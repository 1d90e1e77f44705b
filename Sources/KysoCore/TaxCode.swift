/// A Vietnamese tax code (mã số thuế, MST), validated.
///
/// Forms (python-stdnum `stdnum/vn/mst.py`; Circular 86/2024/TT-BTC for the personal form):
/// - enterprise: 10 digits, the 10th a check digit over the first nine (weights 31,29,23,19,17,13,7,5,3;
///   check = 10 − (sum mod 11); a sum divisible by 11 admits no digit, so no such code is valid);
/// - branch: those 10 digits, `-`, a 3-digit branch number other than `000`;
/// - personalID: from 1 July 2025 an individual's 12-digit personal identification number is their tax code.
public struct TaxCode: Sendable, Codable, Hashable, CustomStringConvertible {
    public enum Form: String, Sendable, Codable, Hashable {
        case enterprise, branch, personalID
    }

    /// Canonical text: `0101234567`, `0101234567-001` or `001099012345`.
    public let value: String
    public let form: Form

    /// The 10-digit code of the enterprise (for a branch, its parent); nil for the personal form.
    public var enterpriseCode: String? { form == .personalID ? nil : String(value.prefix(10)) }
    /// The 3-digit branch number of a branch code.
    public var branchNumber: String? { form == .branch ? String(value.suffix(3)) : nil }

    /// Reads a tax code as certificates and people write it: `0101234567`, `MST: 0101234567`, `mst:0101234567`,
    /// `0101234567-001`, `0101234567 - 001`, `0101234567001`, `0101.234.567`.
    public init(_ text: String) throws(TaxCodeError) {
        var rest = Substring(text).trimmingWhitespace
        if rest.prefix(3).uppercased() == "MST" {
            rest = rest.dropFirst(3).trimmingWhitespace
            if rest.first == ":" { rest = rest.dropFirst().trimmingWhitespace }
        }
        var digits: [UInt8] = []
        var hyphenAt: Int?
        for character in rest {
            if let ascii = character.asciiValue, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(ascii) {
                digits.append(ascii - UInt8(ascii: "0"))
            } else if character == "-" || character == "\u{2013}" {
                guard hyphenAt == nil else { throw .invalidCharacters }
                hyphenAt = digits.count
            } else if character == " " || character == "." {
                continue
            } else {
                throw .invalidCharacters
            }
        }
        if digits.isEmpty { throw .empty }
        if let hyphenAt, !(hyphenAt == 10 && digits.count == 13) { throw .misplacedHyphen }
        switch digits.count {
        case 12:
            self.form = .personalID
            self.value = Self.text(digits)
        case 10, 13:
            if digits[2..<9].allSatisfy({ $0 == 0 }) { throw .zeroSequenceNumber }
            if digits.count == 13 && digits[10...].allSatisfy({ $0 == 0 }) { throw .branchZero }
            guard let expected = Self.checkDigit(firstNine: Array(digits[0..<9])) else { throw .noCheckDigitPossible }
            guard digits[9] == expected else { throw .wrongCheckDigit(expected: Int(expected), found: Int(digits[9])) }
            self.form = digits.count == 10 ? .enterprise : .branch
            self.value = digits.count == 10
                ? Self.text(digits) : Self.text(digits[0..<10]) + "-" + Self.text(digits[10...])
        default:
            throw .wrongLength(digits.count)
        }
    }

    /// The check digit for the first nine digits, or nil when the weighted sum is divisible by 11.
    public static func checkDigit(firstNine digits: [UInt8]) -> UInt8? {
        let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3]
        let sum = zip(weights, digits).reduce(0) { $0 + $1.0 * Int($1.1) }
        let check = 10 - sum % 11
        return check == 10 ? nil : UInt8(check)
    }

    public var description: String { value }

    private static func text(_ digits: some Sequence<UInt8>) -> String {
        String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }
}

/// Why a text is not a valid tax code.
public enum TaxCodeError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    case empty
    case invalidCharacters
    case misplacedHyphen
    case wrongLength(Int)
    /// Digits 3–9 are all zero.
    case zeroSequenceNumber
    /// Branch number `000`.
    case branchZero
    /// The first nine digits admit no check digit (weighted sum divisible by 11).
    case noCheckDigitPossible
    case wrongCheckDigit(expected: Int, found: Int)

    public var description: String {
        switch self {
        case .empty: "no digits"
        case .invalidCharacters: "contains characters other than digits and one hyphen"
        case .misplacedHyphen: "hyphen must separate the 10-digit code from a 3-digit branch number"
        case .wrongLength(let count): "\(count) digits; expected 10, 13 (branch) or 12 (personal ID)"
        case .zeroSequenceNumber: "digits 3 to 9 are all zero"
        case .branchZero: "branch number 000 is not a branch"
        case .noCheckDigitPossible: "no check digit exists for these first nine digits"
        case .wrongCheckDigit(let expected, let found): "check digit is \(found), expected \(expected)"
        }
    }
}
