import KysoCore
import Testing

@Suite struct AccountFieldTests {
    @Test func userIdIsEightLettersOrDigitsUpperCased() throws {
        let userId = try UserID(" ab12c001 ")
        #expect(userId.value == "AB12C001")
        #expect(userId.unitCode == "AB12C")
        #expect(try UserID("AB12C001") == userId)
    }

    @Test(arguments: ["AB12C00", "AB12C0012", "A"])
    func userIdOfWrongLengthIsRefused(text: String) {
        #expect(throws: AccountFieldError(.userId, .wrongLength, "")) { try UserID(text) }
    }

    @Test(arguments: ["AB12-001", "AB12 001", "ÁB12C001", "AB12C00１", "AB12C00\u{0}"])
    func userIdWithOtherCharactersIsRefused(text: String) throws {
        let error = try #require(throws: AccountFieldError.self) { try UserID(text) }
        #expect(error == AccountFieldError(.userId, .invalidCharacters, ""))
        #expect(error.identifier == "userId.invalidCharacters")
        #expect(error.reason.contains("letters A-Z and digits 0-9"))
    }

    @Test func emptyUserIdIsRefused() {
        #expect(throws: AccountFieldError(.userId, .empty, "")) { try UserID("  ") }
    }

    @Test func terminalIdIsExactlySixLettersOrDigits() throws {
        #expect(try TerminalID("t0000a").value == "T0000A")
        #expect(throws: AccountFieldError(.terminalId, .wrongLength, "")) { try TerminalID("T0000") }
        #expect(throws: AccountFieldError(.terminalId, .wrongLength, "")) { try TerminalID("T000001") }
        #expect(throws: AccountFieldError(.terminalId, .invalidCharacters, "")) { try TerminalID("T00_01") }
        #expect(throws: AccountFieldError(.terminalId, .invalidCharacters, "")) { try TerminalID("T0Đ001") }
        #expect(throws: AccountFieldError(.terminalId, .empty, "")) { try TerminalID("") }
    }

    @Test func accessKeyIsUpToSixteenLettersOrDigitsUpperCased() throws {
        #expect(try TerminalAccessKey("abcdefgh12345678").revealed.bytes == Array("ABCDEFGH12345678".utf8))
        #expect(try TerminalAccessKey("k1").revealed.bytes == Array("K1".utf8))
        #expect(throws: AccountFieldError(.terminalAccessKey, .tooLong, "")) { try TerminalAccessKey("ABCDEFGH123456789") }
        #expect(throws: AccountFieldError(.terminalAccessKey, .invalidCharacters, "")) { try TerminalAccessKey("ABC-DEF") }
        #expect(throws: AccountFieldError(.terminalAccessKey, .empty, "")) { try TerminalAccessKey("") }
    }

    @Test func passwordIsUpToEightPrintableCharactersKeptAsGiven() throws {
        #expect(try VNACCSPassword("Pa$s-w0r").revealed.bytes == Array("Pa$s-w0r".utf8))
        #expect(throws: AccountFieldError(.password, .tooLong, "")) { try VNACCSPassword("Pa$s-w0rd") }
        #expect(throws: AccountFieldError(.password, .invalidCharacters, "")) { try VNACCSPassword("pa ss") }
        #expect(throws: AccountFieldError(.password, .invalidCharacters, "")) { try VNACCSPassword("mậtkhẩu") }
        #expect(throws: AccountFieldError(.password, .empty, "")) { try VNACCSPassword("") }
    }

    @Test func secretsNeverShowTheirValue() throws {
        let key = try TerminalAccessKey("SECRETKEY0000001")
        let password = try VNACCSPassword("Hunter2!")
        for text in ["\(key)", String(reflecting: key), "\(password)", String(reflecting: password), "\([key])"] {
            #expect(!text.contains("SECRETKEY0000001") && !text.contains("Hunter2!"), "\(text)")
        }
        var dumped = ""
        dump(key, to: &dumped)
        dump(password, to: &dumped)
        #expect(!dumped.contains("SECRETKEY") && !dumped.contains("Hunter2"))
    }

    @Test func secretErrorsNeverRepeatTheValue() {
        let attempts: [(String, () throws -> Void)] = [
            ("TOOLONGSECRET00001", { _ = try TerminalAccessKey("TOOLONGSECRET00001") }),
            ("BAD-SECRET", { _ = try TerminalAccessKey("BAD-SECRET") }),
            ("toolong99", { _ = try VNACCSPassword("toolong99") }),
            ("bad pass", { _ = try VNACCSPassword("bad pass") }),
        ]
        for (secret, attempt) in attempts {
            do {
                try attempt()
                Issue.record("\(secret.count)-character secret was accepted")
            } catch {
                #expect(!"\(error)".contains(secret))
            }
        }
    }

    @Test func declarantFieldsNeedBothIdentifiers() throws {
        let fields = try AccountFields(role: .declarant, taxCode: "0104359717", userId: "ab12c001", terminalId: "t00001")
        #expect(fields.userId?.value == "AB12C001" && fields.terminalId?.value == "T00001")
        #expect(fields.key == .declarant(try UserID("AB12C001")))
        #expect(throws: AccountFieldError(.userId, .missing, "")) {
            try AccountFields(role: .declarant, taxCode: "0104359717", userId: nil, terminalId: "T00001")
        }
        #expect(throws: AccountFieldError(.terminalId, .missing, "")) {
            try AccountFields(role: .declarant, taxCode: "0104359717", userId: "AB12C001", terminalId: nil)
        }
    }

    @Test func adminFieldsHaveNoIdentifiers() throws {
        let fields = try AccountFields(role: .admin, taxCode: "MST: 0104359717", userId: nil, terminalId: nil)
        #expect(fields.taxCode.value == "0104359717")
        #expect(fields.key == .admin(try TaxCode("0104359717")))
        #expect(throws: AccountFieldError(.userId, .notAllowedForRole, "")) {
            try AccountFields(role: .admin, taxCode: "0104359717", userId: "AB12C001", terminalId: nil)
        }
        #expect(throws: AccountFieldError(.role, .unknownRole, "")) {
            try AccountFields(role: "owner", taxCode: "0104359717", userId: nil, terminalId: nil)
        }
    }

    @Test func wrongCheckDigitIsReportedWithTheTaxCodeError() throws {
        let error = try #require(throws: AccountFieldError.self) {
            try AccountFields(role: .admin, taxCode: "0104359716", userId: nil, terminalId: nil)
        }
        #expect(error.code == .invalidTaxCode)
        #expect(error.taxCodeError == .wrongCheckDigit(expected: 7, found: 6))
        #expect(error.reason.contains("check digit"))
    }

    @Test func accountKeyReadsBothForms() throws {
        #expect(try AccountKey("ab12c001") == .declarant(try UserID("AB12C001")))
        #expect(try AccountKey("0100686209-001") == .admin(try TaxCode("0100686209-001")))
        #expect(try AccountKey("0104359717").text == "0104359717")
        #expect(throws: AccountFieldError.self) { try AccountKey("nonsense!") }
    }

    @Test func branchTaxCodeServesItsParentOnly() throws {
        let parent = try TaxCode("0100686209")
        let branch = try TaxCode("0100686209-001")
        #expect(branch.servesAccount(of: parent))
        #expect(parent.servesAccount(of: parent))
        #expect(!parent.servesAccount(of: branch))
        #expect(!branch.servesAccount(of: try TaxCode("0100686209-002")))
        #expect(!branch.servesAccount(of: try TaxCode("0104359717")))
    }
}
