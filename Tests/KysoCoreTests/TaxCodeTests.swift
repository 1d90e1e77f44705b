import KysoCore
import Testing

@Suite struct TaxCodeTests {
    /// Validity computed by the generator's reimplementation of python-stdnum must match ours.
    @Test(arguments: Fixtures.taxCodeVectors.map { [$0.text, $0.valid ? "valid" : "invalid"] })
    func agreesWithStdnum(vector: [String]) {
        let accepted = (try? TaxCode(vector[0])) != nil
        #expect(accepted == (vector[1] == "valid"), "\(vector[0])")
    }

    @Test func computesCheckDigitWithStdnumWeights() throws {
        // 0104359717 (DOMAIN.md): 0*31+1*29+0*23+4*19+3*17+5*13+9*7+7*5+1*3 = 322; 322 mod 11 = 3; 10-3 = 7.
        #expect(TaxCode.checkDigit(firstNine: [0, 1, 0, 4, 3, 5, 9, 7, 1]) == 7)
        #expect(try TaxCode("0104359717").form == .enterprise)
    }

    @Test func saysWhichForm() throws {
        let branch = try TaxCode("0100686209-199")
        #expect(branch.form == .branch)
        #expect(branch.enterpriseCode == "0100686209")
        #expect(branch.branchNumber == "199")
        let personal = try TaxCode("001199012345")
        #expect(personal.form == .personalID)
        #expect(personal.enterpriseCode == nil)
        #expect(try TaxCode("0100686209199") == branch)
    }

    @Test(arguments: [
        "MST: 0104359717", "mst:0104359717", "MST:0104359717", " 0104359717 ", "mst : 0104359717", "0104.359.717",
    ])
    func toleratesRealWorldSpellings(text: String) throws {
        #expect(try TaxCode(text).value == "0104359717")
    }

    @Test func toleratesSpacedBranchHyphen() throws {
        #expect(try TaxCode("MST: 0100686209 - 199").value == "0100686209-199")
    }

    @Test func explainsWhatIsWrong() {
        #expect(throws: TaxCodeError.wrongCheckDigit(expected: 7, found: 8)) { try TaxCode("0104359718") }
        #expect(throws: TaxCodeError.branchZero) { try TaxCode("0104359717-000") }
        #expect(throws: TaxCodeError.wrongLength(11)) { try TaxCode("01043597170") }
        #expect(throws: TaxCodeError.zeroSequenceNumber) { try TaxCode("0100000000") }
        #expect(throws: TaxCodeError.invalidCharacters) { try TaxCode("01043S9717") }
        #expect(throws: TaxCodeError.misplacedHyphen) { try TaxCode("01043-59717") }
        #expect(throws: TaxCodeError.empty) { try TaxCode("MST:") }
    }

    @Test func rejectsPrefixesWithNoPossibleCheckDigit() throws {
        let prefix = try #require(
            (10_000_001..<10_100_000).lazy.map { Array(nineDigits($0).utf8).map { $0 - 48 } }
                .first { TaxCode.checkDigit(firstNine: $0) == nil })
        for digit in 0...9 {
            let text = String(decoding: (prefix + [UInt8(digit)]).map { $0 + 48 }, as: UTF8.self)
            #expect(throws: TaxCodeError.noCheckDigitPossible) { try TaxCode(text) }
        }
    }
}

private func nineDigits(_ number: Int) -> String {
    let digits = Array(String(number))
    return String(Array(repeating: Character("0"), count: max(0, 9 - digits.count)) + digits)
}
