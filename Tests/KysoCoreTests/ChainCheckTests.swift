import Foundation
import KysoCore
import Testing

@Suite struct ChainCheckTests {
    private let root = Fixtures.bytes("lab-root.der")
    private let intermediate = Fixtures.bytes("lab-vnpt-ca.der")

    @Test func labLeafVerifiesThroughIntermediateToRoot() async throws {
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("lab-vnpt-leaf.der"), intermediates: [intermediate], trustAnchors: [root],
            at: Fixtures.now)
        #expect(check.outcome == .verified, "\(check.failures)")
        #expect(check.chain.count == 3)
        #expect(check.chain.first?.sha256 == Fixtures.manifest.fixtures["lab-vnpt-leaf.der"]?.sha256)
        #expect(check.chain.last?.subject == "CN=Kyso TEST National Root CA,O=Kyso Lab TEST,C=VN")
    }

    @Test func rogueLeafNamingTheSameIssuerDoesNotVerify() async {
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("lab-rogue-leaf.der"), intermediates: [intermediate], trustAnchors: [root],
            at: Fixtures.now)
        #expect(check.outcome == .notVerified)
        #expect(check.chain.isEmpty)
        #expect(!check.failures.isEmpty)
    }

    @Test func missingIntermediateDoesNotVerify() async {
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("lab-vnpt-leaf.der"), intermediates: [], trustAnchors: [root], at: Fixtures.now)
        #expect(check.outcome == .notVerified)
    }

    @Test func leafOutsideItsValidityDoesNotVerify() async {
        let later = Date(timeIntervalSince1970: 1_830_297_600)  // 2028-01-01, after the leaf's notAfter
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("lab-vnpt-leaf.der"), intermediates: [intermediate], trustAnchors: [root], at: later)
        #expect(check.outcome == .notVerified)
    }

    @Test func noTrustAnchorMeansNotVerified() async {
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("lab-vnpt-leaf.der"), intermediates: [intermediate], trustAnchors: [],
            at: Fixtures.now)
        #expect(check.outcome == .notVerified)
        #expect(check.failures.contains { $0.contains("trust anchor") })
    }

    @Test func certificateTheVerifierCannotLoadIsReportedNotCrashed() async {
        let check = await ChainCheck.verify(
            leaf: Fixtures.bytes("nacencomm-sha1-rsa1024.der"), intermediates: [], trustAnchors: [root],
            at: Fixtures.now)
        #expect(check.outcome == .notVerified)
        #expect(check.failures.first?.contains("cannot be used for verification") == true)
    }
}
