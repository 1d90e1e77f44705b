import Foundation
import KysoCore
import Testing

@Suite struct BindingRulesTests {
    let rules = BindingRules()
    let now = AccountFixtures.now

    func bind(
        _ account: AccountFields, _ profile: CertificateProfile, existing: [AccountBinding] = [], issuedAt: Date? = nil
    ) throws -> Result<AccountBinding, BindingRefusal> {
        let request = try AccountFixtures.request(account, profile, issuedAt: issuedAt ?? now.addingTimeInterval(-3600))
        return rules.bind(request, certificate: profile, existing: existing, now: now)
    }

    @Test func bindsADeclarantWhoseCertificateMatches() throws {
        let profile = try AccountFixtures.profile("vnpt-organisation.der")
        let account = try AccountFixtures.declarant("AB12C001")
        let request = try AccountFixtures.request(account, profile)
        let binding = try rules.bind(request, certificate: profile, existing: [], now: now).get()
        #expect(binding.key == .declarant(try UserID("AB12C001")))
        #expect(binding.certificate.sha256 == profile.fingerprints.sha256)
        #expect(binding.certificate.serialNumber == profile.serialNumber.hex)
        #expect(binding.certificate.holder.commonName == profile.commonName)
        #expect(binding.statement == request.statementBytes)
        #expect(binding.signature == request.signature)
        #expect(binding.createdAt == now)
    }

    @Test func branchCertificateServesTheParentsAccountButNotTheReverse() throws {
        let branch = try AccountFixtures.profile("viettel-branch.der")  // 0100686209-001
        #expect(try bind(try AccountFixtures.declarant("BR001001", taxCode: "0100686209"), branch).failure == nil)
        #expect(try bind(try AccountFixtures.declarant("BR001001", taxCode: "0100686209-001"), branch).failure == nil)
        #expect(try bind(try AccountFixtures.declarant("BR001001", taxCode: "0100686209-002"), branch).failure?.code == .taxCodeMismatch)
    }

    @Test func taxCodeNotMatchingIsRefused() throws {
        let profile = try AccountFixtures.profile("vnpt-organisation.der")  // 0104359717
        let refusal = try bind(try AccountFixtures.declarant("AB12C001", taxCode: "0101234565"), profile).failure
        #expect(refusal?.code == .taxCodeMismatch)
        #expect(refusal?.reason.contains("0104359717") == true)
        #expect(try bind(try AccountFixtures.admin("0101234565"), profile).failure?.code == .taxCodeMismatch)
    }

    @Test func expiredAndNotYetValidCertificatesAreRefused() throws {
        let expired = try AccountFixtures.profile("expired.der")  // 2019–2021
        let refusal = try bind(
            try AccountFixtures.declarant("AB12C001"), expired, issuedAt: Date(timeIntervalSince1970: 1_577_836_800)
        ).failure
        #expect(refusal?.code == .certificateExpired)
        let future = try AccountFixtures.profile("not-yet-valid.der")  // 2030–2032
        #expect(try bind(try AccountFixtures.declarant("AB12C001"), future).failure?.code == .certificateNotYetValid)
    }

    @Test func statementMustNameTheGivenCertificate() throws {
        let signed = try AccountFixtures.profile("vnpt-organisation.der")
        let other = try AccountFixtures.profile("lab-vnpt-leaf.der")  // same tax code, another certificate
        let request = try AccountFixtures.request(try AccountFixtures.declarant("AB12C001"), signed)
        #expect(rules.bind(request, certificate: other, existing: [], now: now).failure?.code == .statementDoesNotMatchCertificate)
    }

    @Test func statementTimeMustBeSane() throws {
        let profile = try AccountFixtures.profile("vnpt-organisation.der")
        let account = try AccountFixtures.declarant("AB12C001")
        #expect(try bind(account, profile, issuedAt: now.addingTimeInterval(3600)).failure?.code == .statementTimeInvalid)
        #expect(try bind(account, profile, issuedAt: now.addingTimeInterval(60)).failure == nil)  // within clock skew
        #expect(try bind(account, profile, issuedAt: Date(timeIntervalSince1970: 1_600_000_000)).failure?.code == .statementTimeInvalid)
        let strict = BindingRules(maximumStatementAge: 600)
        let request = try AccountFixtures.request(account, profile)  // an hour old
        #expect(strict.bind(request, certificate: profile, existing: [], now: now).failure?.code == .statementTimeInvalid)
    }

    @Test func certificateOfAnUnknownCAIsRefusedUnlessAllowed() throws {
        for fixture in ["unknown-issuer.der", "lookalike-ca2.der"] {  // tax code 0101234565, issuers not in the table
            let profile = try AccountFixtures.profile(fixture)
            for account in [try AccountFixtures.declarant("AB12C001", taxCode: "0101234565"), try AccountFixtures.admin("0101234565")] {
                #expect(try bind(account, profile).failure?.code == .unknownCA, "\(fixture) \(account.role)")
                let request = try AccountFixtures.request(account, profile, issuedAt: now.addingTimeInterval(-3600))
                let lenient = BindingRules(allowUnknownCAs: true)
                #expect(lenient.bind(request, certificate: profile, existing: [], now: now).failure == nil)
            }
        }
        // The lab's TEST CAs and the licensed CAs are known.
        for fixture in ["lab-vnpt-leaf.der", "vnpt-organisation.der"] {
            #expect(rules.unknownCARefusal(try AccountFixtures.profile(fixture)) == nil)
        }
    }

    @Test func duplicateBindingsAreRefused() throws {
        let first = try AccountFixtures.profile("vnpt-organisation.der")
        let second = try AccountFixtures.profile("lab-vnpt-leaf.der")
        let bound = try bind(try AccountFixtures.declarant("AB12C001"), first).get()

        let again = try bind(try AccountFixtures.declarant("AB12C001"), first, existing: [bound]).failure
        #expect(again?.code == .alreadyBound)
        #expect(again?.conflictingAccount == bound.key)
        // A certificate serves at most one declarant account.
        let otherAccount = try bind(try AccountFixtures.declarant("AB12C002"), first, existing: [bound]).failure
        #expect(otherAccount?.code == .certificateBoundToOtherAccount)
        #expect(otherAccount?.conflictingAccount == bound.key)
        // A User ID is bound once.
        #expect(try bind(try AccountFixtures.declarant("AB12C001"), second, existing: [bound]).failure?.code == .userIdTaken)
        // Another User ID with another certificate is fine.
        #expect(try bind(try AccountFixtures.declarant("AB12C002"), second, existing: [bound]).failure == nil)
    }

    @Test func adminAccountIsBoundOncePerTaxCodeAndSharesCertificatesWithDeclarants() throws {
        let first = try AccountFixtures.profile("vnpt-organisation.der")
        let second = try AccountFixtures.profile("lab-vnpt-leaf.der")
        let declarant = try bind(try AccountFixtures.declarant("AB12C001"), first).get()
        let admin = try bind(try AccountFixtures.admin("0104359717"), first, existing: [declarant]).get()
        #expect(admin.key == .admin(try TaxCode("0104359717")))
        let secondAdmin = try bind(try AccountFixtures.admin("0104359717"), second, existing: [declarant, admin]).failure
        #expect(secondAdmin?.code == .alreadyBound)
        #expect(secondAdmin?.reason.contains("any certificate of that tax code") == true)
        // Any certificate of the tax code can be used with the admin account.
        #expect(BindingRules.accounts(usableWith: second, in: [declarant, admin]).map(\.key) == [admin.key])
        #expect(BindingRules.accounts(usableWith: first, in: [declarant, admin]).map(\.key.text) == ["0104359717", "AB12C001"])
        let branchAdmin = try bind(try AccountFixtures.admin("0100686209"), try AccountFixtures.profile("viettel-branch.der")).get()
        #expect(BindingRules.accounts(usableWith: try AccountFixtures.profile("viettel-branch-person.der"), in: [branchAdmin]).count == 1)
    }

    @Test func rebindMovesTheAccountToAnotherCertificate() throws {
        let old = try AccountFixtures.profile("vnpt-organisation.der")
        let new = AccountFixtures.renewal(of: old, notAfter: Date(timeIntervalSince1970: 1_893_456_000))
        let account = try AccountFixtures.declarant("AB12C001")
        let bound = try bind(account, old).get()
        let request = try AccountFixtures.request(account, new)
        let moved = try rules.rebind(bound.key, to: request, certificate: new, existing: [bound], now: now).get()
        #expect(moved.key == bound.key)
        #expect(moved.certificate.sha256 == new.fingerprints.sha256)
        #expect(moved.statement == request.statementBytes)

        #expect(rules.rebind(.declarant(try UserID("ZZ99Z999")), to: request, certificate: new, existing: [bound], now: now)
            .failure?.code == .notBound)
        let sameCertificate = try AccountFixtures.request(account, old)
        #expect(rules.rebind(bound.key, to: sameCertificate, certificate: old, existing: [bound], now: now).failure?.code == .sameCertificate)
        let otherTerminal = try AccountFixtures.request(try AccountFixtures.declarant("AB12C001", terminalId: "T00002"), new)
        #expect(rules.rebind(bound.key, to: otherTerminal, certificate: new, existing: [bound], now: now).failure?.code == .accountMismatch)
        let taken = try bind(try AccountFixtures.declarant("AB12C002"), new, existing: [bound]).get()
        #expect(rules.rebind(bound.key, to: request, certificate: new, existing: [bound, taken], now: now)
            .failure?.code == .certificateBoundToOtherAccount)
        let expired = try AccountFixtures.request(account, new)
        #expect(rules.rebind(bound.key, to: expired, certificate: new, existing: [bound], now: Date(timeIntervalSince1970: 1_900_000_000))
            .failure?.code == .certificateExpired)
    }

    @Test func renewedCertificateOfTheSameHolderIsARenewalCandidate() throws {
        let old = try AccountFixtures.profile("vnpt-organisation.der")
        let bound = try bind(try AccountFixtures.declarant("AB12C001"), old).get()
        let renewed = AccountFixtures.renewal(of: old, notAfter: Date(timeIntervalSince1970: 1_893_456_000))  // 2030

        let candidates = rules.renewalCandidates(bindings: [bound], present: [renewed], now: now)
        #expect(candidates.count == 1)
        #expect(candidates.first?.certificate.fingerprints.sha256 == renewed.fingerprints.sha256)
        #expect(candidates.first?.binding == bound)
        #expect(candidates.first?.boundCertificatePresent == false)

        // The bound certificate still present and valid (both tokens plugged in, the usual case): a renewal from the
        // same CA is announced all the same (issue 13, bug 7).
        #expect(rules.renewalCandidates(bindings: [bound], present: [old, renewed], now: now).map(\.boundCertificatePresent) == [true])
        // Still present but expired: renew.
        let later = Date(timeIntervalSince1970: 1_830_000_000)  // 2027-12
        let expiredCase = rules.renewalCandidates(bindings: [bound], present: [old, renewed], now: later)
        #expect(expiredCase.map(\.boundCertificatePresent) == [true])
        // Another holder of the same tax code is not a renewal.
        let otherHolder = try AccountFixtures.profile("lab-vnpt-leaf.der")
        #expect(rules.renewalCandidates(bindings: [bound], present: [otherHolder], now: now).isEmpty)
        // An older or expired certificate is not a renewal.
        let older = AccountFixtures.renewal(of: old, notAfter: Date(timeIntervalSince1970: 1_750_000_000))
        #expect(rules.renewalCandidates(bindings: [bound], present: [older], now: now).isEmpty)
        // A certificate already serving another declarant is not offered.
        let other = try bind(try AccountFixtures.declarant("AB12C002"), renewed, existing: [bound]).get()
        #expect(rules.renewalCandidates(bindings: [bound, other], present: [renewed], now: now).isEmpty)
        // Admin bindings never need renewal.
        let admin = try bind(try AccountFixtures.admin("0104359717"), old).get()
        #expect(rules.renewalCandidates(bindings: [admin], present: [renewed], now: now).isEmpty)
        // Of two renewals, the one valid longest is offered.
        let longest = AccountFixtures.renewal(of: old, notAfter: Date(timeIntervalSince1970: 1_924_992_000), tag: 2)
        #expect(rules.renewalCandidates(bindings: [bound], present: [renewed, longest], now: now)
            .first?.certificate.fingerprints.sha256 == longest.fingerprints.sha256)
    }

    @Test func expiringBoundCertificatesAreListed() throws {
        let bound = try bind(try AccountFixtures.declarant("AB12C001"), try AccountFixtures.profile("vnpt-organisation.der")).get()
        #expect(rules.expiringSoon(bindings: [bound], now: now).isEmpty)
        let december = Date(timeIntervalSince1970: 1_765_800_000 + 86_400 * 360)  // ~2026-12-10
        #expect(rules.expiringSoon(bindings: [bound], now: december) == [bound])
        #expect(rules.expiringSoon(bindings: [bound], now: Date(timeIntervalSince1970: 1_830_000_000)).isEmpty)  // expired
    }

    @Test func holdersAreComparedByDocumentsThenNames() {
        let person = CertificateHolder(commonName: "NGUYỄN HỒNG NHUNG", identifiers: ["CCCD:025199009534", "MST:0100686209-199"])
        let sameDocument = CertificateHolder(commonName: "Nguyễn Hồng Nhung (renewed)", identifiers: ["CCCD:025199009534"])
        let namesake = CertificateHolder(commonName: "NGUYỄN HỒNG NHUNG", identifiers: ["CCCD:025199009999"])
        let swappedDocument = CertificateHolder(commonName: "nguyễn  hồng nhung", identifiers: ["CMND:079073009568"])
        #expect(person.isSameHolder(as: sameDocument))
        #expect(!person.isSameHolder(as: namesake))
        #expect(person.isSameHolder(as: swappedDocument))
        let company = CertificateHolder(commonName: "CÔNG TY A", identifiers: ["MST:0104359717"])
        #expect(company.isSameHolder(as: CertificateHolder(commonName: "Công ty  A", identifiers: ["MST:0104359717"])))
        #expect(!company.isSameHolder(as: CertificateHolder(commonName: "CÔNG TY B", identifiers: ["MST:0104359717"])))
        #expect(!company.isSameHolder(as: CertificateHolder(commonName: nil, identifiers: ["MST:0104359717"])))
    }
}
