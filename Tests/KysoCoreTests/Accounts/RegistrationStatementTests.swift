import Foundation
import KysoCore
import Testing

@Suite struct RegistrationStatementTests {
    let issuedAt = Date(timeIntervalSince1970: 1_748_764_800.75)  // 2025-06-01T08:00:00.75Z

    func declarantStatement(_ fixture: String = "vnpt-organisation.der") throws -> RegistrationStatement {
        try RegistrationStatement(
            account: try AccountFixtures.declarant("ab12c001"), certificate: try AccountFixtures.profile(fixture),
            freshness: .nonce(Array(0..<32)), issuedAt: issuedAt)
    }

    @Test func encodesCanonicalJSONWithTheCertificateFromTheProfile() throws {
        let entry = try #require(Fixtures.manifest.fixtures["vnpt-organisation.der"])
        let text = String(decoding: try declarantStatement().canonicalBytes, as: UTF8.self)
        let expected = "{\"certificate\":{\"issuer\":\"\(entry.issuer)\",\"notAfter\":\"2027-01-01T00:00:00Z\","
            + "\"notBefore\":\"2024-01-01T00:00:00Z\",\"provider\":\"vnpt\",\"serialNumber\":\"\(entry.serialHex)\","
            + "\"sha256\":\"\(entry.sha256)\",\"taxCode\":\"0104359717\"},\"issuedAt\":\"2025-06-01T08:00:00Z\","
            + "\"nonce\":\"\(Data(Array(0..<32)).base64EncodedString())\",\"role\":\"declarant\",\"taxCode\":\"0104359717\","
            + "\"terminalId\":\"T00001\",\"userId\":\"AB12C001\",\"version\":1}"
        #expect(text == expected)
    }

    @Test(arguments: ["vnpt-organisation.der", "viettel-branch-person.der", "cmc-bmpstring.der", "fpt-person-ec.der"])
    func decodedStatementReEncodesToIdenticalBytes(fixture: String) throws {
        let statement = try declarantStatement(fixture)
        let bytes = statement.canonicalBytes
        let decoded = try RegistrationStatement(canonicalBytes: bytes)
        #expect(decoded == statement)
        #expect(decoded.canonicalBytes == bytes)
    }

    @Test func adminStatementHasNoDeclarantFieldsAndKeepsTheChallenge() throws {
        let challenge = Array("server challenge / with + base64 chars ÿ".utf8) + [0xFF, 0xFE]
        let statement = try RegistrationStatement(
            account: try AccountFixtures.admin("0100686209"), certificate: try AccountFixtures.profile("viettel-branch.der"),
            freshness: .challenge(challenge), issuedAt: issuedAt)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(statement.canonicalBytes)) as? [String: Any])
        #expect(object["userId"] == nil && object["terminalId"] == nil && object["nonce"] == nil)
        #expect(object["challenge"] as? String == Data(challenge).base64EncodedString())
        #expect((object["certificate"] as? [String: Any])?["taxCode"] as? String == "0100686209-001")
        let decoded = try RegistrationStatement(canonicalBytes: statement.canonicalBytes)
        #expect(decoded.freshness == .challenge(challenge))
        #expect(decoded.account.role == .admin)
    }

    @Test func freshNoncesAre32RandomBytes() {
        guard case .nonce(let first) = RegistrationStatement.Freshness.freshNonce(),
            case .nonce(let second) = RegistrationStatement.Freshness.freshNonce()
        else {
            Issue.record("freshNonce gave no nonce")
            return
        }
        #expect(first.count == 32 && second.count == 32)
        #expect(first != second)
    }

    @Test func certificateWithoutTaxCodeCannotBeStated() throws {
        for fixture in ["bad-check-digit.der", "escaping.der"] {
            #expect(throws: RegistrationStatementError(.certificateHasNoTaxCode, "")) {
                try RegistrationStatement(
                    account: try AccountFixtures.admin("0101234565"), certificate: try AccountFixtures.profile(fixture),
                    freshness: .freshNonce(), issuedAt: issuedAt)
            }
        }
    }

    @Test func badFreshnessIsRefused() throws {
        let account = try AccountFixtures.declarant("AB12C001")
        let profile = try AccountFixtures.profile("vnpt-organisation.der")
        #expect(throws: RegistrationStatementError(.invalidChallenge, "")) {
            try RegistrationStatement(account: account, certificate: profile, freshness: .challenge([]), issuedAt: issuedAt)
        }
        #expect(throws: RegistrationStatementError(.invalidChallenge, "")) {
            try RegistrationStatement(
                account: account, certificate: profile, freshness: .challenge(Array(repeating: 1, count: 1025)),
                issuedAt: issuedAt)
        }
        #expect(throws: RegistrationStatementError(.invalidNonce, "")) {
            try RegistrationStatement(account: account, certificate: profile, freshness: .nonce([1, 2, 3]), issuedAt: issuedAt)
        }
    }

    /// Every way of writing the same statement other than the canonical one is refused, so the bytes shown and
    /// stored are always the bytes signed.
    @Test func nonCanonicalFormsAreRefused() throws {
        let canonical = String(decoding: try declarantStatement().canonicalBytes, as: UTF8.self)
        let pretty = try JSONSerialization.data(
            withJSONObject: try JSONSerialization.jsonObject(with: Data(canonical.utf8)), options: [.prettyPrinted, .sortedKeys])
        let variants = [
            String(decoding: pretty, as: UTF8.self),
            canonical.replacingOccurrences(of: "\"AB12C001\"", with: "\"ab12c001\""),
            canonical.replacingOccurrences(of: "\"version\":1}", with: "\"version\":1,\"extra\":\"x\"}"),
            canonical.replacingOccurrences(of: "\"0104359717\"},", with: "\"MST:0104359717\"},"),
            canonical.replacingOccurrences(of: "{\"certificate\"", with: "{ \"certificate\""),
            canonical + "\n",
        ]
        for variant in variants {
            #expect(throws: RegistrationStatementError(.notCanonical, ""), "\(variant)") {
                try RegistrationStatement(canonicalBytes: Array(variant.utf8))
            }
        }
    }

    @Test func malformedStatementsGetTheirOwnCodes() throws {
        let canonical = String(decoding: try declarantStatement().canonicalBytes, as: UTF8.self)
        let cases: [(String, RegistrationStatementError.Code)] = [
            ("not json", .malformed),
            ("{}", .malformed),
            (canonical.replacingOccurrences(of: "\"version\":1", with: "\"version\":2"), .unsupportedVersion),
            (canonical.replacingOccurrences(of: "\"AB12C001\"", with: "\"AB12C01\""), .invalidField),
            (canonical.replacingOccurrences(of: "\"taxCode\":\"0104359717\",\"terminalId\"", with: "\"taxCode\":\"0104359716\",\"terminalId\""), .invalidField),
            (canonical.replacingOccurrences(of: "2025-06-01T08:00:00Z", with: "2025-06-01 08:00:00"), .invalidField),
            (canonical.replacingOccurrences(of: "\"nonce\"", with: "\"unused\""), .challengeAndNonce),
            (canonical.replacingOccurrences(of: "\"nonce\":\"", with: "\"nonce\":\"!!"), .invalidNonce),
        ]
        for (text, code) in cases {
            #expect(throws: RegistrationStatementError(code, ""), "\(text)") {
                try RegistrationStatement(canonicalBytes: Array(text.utf8))
            }
        }
    }

    @Test func rfc3339SecondsRoundTrips() throws {
        for seconds in [0.0, 951_782_400, 1_709_164_800, 1_748_736_000.999, -86_400, 4_102_444_799] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = RFC3339Seconds.string(from: date)
            #expect(RFC3339Seconds.date(from: text) == Date(timeIntervalSince1970: seconds.rounded(.down)), "\(text)")
        }
        #expect(RFC3339Seconds.string(from: Date(timeIntervalSince1970: 1_709_164_800)) == "2024-02-29T00:00:00Z")
        #expect(RFC3339Seconds.string(from: Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        for bad in ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00+07:00",
            "2024-01-01t00:00:00z", "2024-01-01T00:00:00.5Z", ""]
        {
            #expect(RFC3339Seconds.date(from: bad) == nil, "\(bad)")
        }
    }
}
