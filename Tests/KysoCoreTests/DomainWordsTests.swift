import Foundation
import KysoCore
import KysoText
import Testing

/// Issue 14: the domain's findings as catalog messages, worded in either language; the English stays what the JSON
/// and the API have always said.
@Suite struct DomainWordsTests {
    let vi = Messages.forLanguage(.vi)
    let en = Messages.forLanguage(.en)

    @Test func certificateWarningsInBothLanguages() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("nacencomm-sha1-rsa1024.der"), now: Fixtures.now)
        #expect(profile.warnings == profile.warningMessages.map { en($0) })
        let worded = profile.localized(vi)
        #expect(worded.warnings.contains("khóa RSA 1024 bit, thấp hơn mức 2048 bit bắt buộc hiện nay"), "\(worded.warnings)")
        #expect(worded.warnings.count == profile.warnings.count && worded.warnings != profile.warnings)
        // The JSON keeps the texts, not the messages, and a decoded profile words as it was sent.
        let decoded = try JSONDecoder().decode(CertificateProfile.self, from: try JSONEncoder().encode(worded))
        #expect(decoded.warnings == worded.warnings && decoded.warningMessages.isEmpty)
    }

    @Test func invalidTaxCodeWarningCarriesTheReasonInTheSameLanguage() throws {
        let profile = try CertificateProfile(derEncoded: Fixtures.bytes("bad-check-digit.der"), now: Fixtures.now)
        let message = try #require(profile.warningMessages.first { $0.key == "cert.warning.invalidTaxCode" })
        #expect(vi(message).contains("chữ số kiểm tra là"), "\(vi(message))")
        #expect(en(message) == profile.warnings.first { $0.hasPrefix("MST") })
    }

    @Test func pinWordsKeepTheirEnglishAndHaveVietnamese() {
        let status = PINStatus(locked: false, finalTry: true, countLow: true, mustChange: true)
        #expect(status.words == "final PIN try: one more wrong PIN locks this token; the PIN must be changed before use")
        #expect(status.words(vi) == "lần thử mã PIN cuối cùng: nhập sai thêm một lần nữa là token bị khóa; phải đổi mã PIN trước khi dùng")
    }

    @Test func valuesHaveWordsInBothLanguages() {
        for kind in HolderKind.allCases { #expect(vi(kind.message) != kind.message.key && en(kind.message) != vi(kind.message)) }
        for status in CertificateStatus.allCases {
            #expect(vi(status.message) != status.message.key && vi(status.shortMessage) != status.shortMessage.key)
        }
        #expect(vi(KeyUsageWords.message(forKeyUsage: "nonRepudiation")) == "chống chối bỏ")
        #expect(en(KeyUsageWords.message(forKeyUsage: "nonRepudiation")) == "nonRepudiation")
        #expect(vi(KeyUsageWords.message(forExtendedKeyUsage: "1.2.3.4")) == "1.2.3.4")
    }

    @Test func accountFieldErrorsNameTheValueInEitherLanguage() {
        do throws(AccountFieldError) {
            _ = try UserID("ABC")
            Issue.record("ABC is not a User ID")
        } catch {
            #expect(en(error.message) == error.reason)
            #expect(vi(error.message) == "User ID (Tên tài khoản) \"ABC\" có 3 ký tự; phải có đúng 8")
        }
    }

    @Test func chainFailuresInBothLanguages() async {
        let check = await ChainCheck.verify(leaf: Fixtures.bytes("lab-vnpt-leaf.der"), intermediates: [], trustAnchors: [[0x30]], at: Fixtures.now)
        #expect(!check.isVerified && check.failures == check.failureMessages.map { en($0) })
        #expect(check.failureMessages.map { vi($0) }.contains("không có chứng thư gốc tin cậy nào dùng được"))
    }
}
