import Foundation
@testable import KysoDaemon
import KysoAPI
import KysoCore
import Testing

/// What a restore does with each of the backup's bindings (issue 13): new, unchanged, or a conflict that is never
/// resolved without the administrator's choice.
@Suite("restore decisions")
struct RestoreDecisionTests {
    static let taxCode = "0100109106"

    static func binding(_ userId: String?, certificate: Character, at seconds: TimeInterval) throws -> AccountBinding {
        let fields = try AccountFields(role: userId == nil ? .admin : .declarant, taxCode: taxCode, userId: userId,
                                       terminalId: userId == nil ? nil : "T00001")
        let certificate = BoundCertificate(
            sha256: String(repeating: certificate, count: 64), serialNumber: "0\(certificate)", issuer: "CN=CA", provider: "viettel",
            taxCode: try TaxCode(taxCode), notBefore: Date(timeIntervalSince1970: 0), notAfter: Date(timeIntervalSince1970: 4e9),
            holder: CertificateHolder(commonName: "holder", identifiers: []))
        return AccountBinding(account: fields, certificate: certificate, statement: [1], signature: [2],
                              createdAt: Date(timeIntervalSince1970: 1_700_000_000 + seconds))
    }

    @Test("new and identical bindings need no choice; a differing one is a conflict, kept or replaced only when chosen")
    func decisions() throws {
        let backup = [try Self.binding("KYSOA001", certificate: "a", at: 0), try Self.binding("KYSOB001", certificate: "b", at: 0),
                      try Self.binding(nil, certificate: "a", at: 0)]
        // Here: KYSOA001 as in the backup, KYSOB001 bound again later, the admin account absent.
        let current = [try Self.binding("KYSOA001", certificate: "a", at: 0), try Self.binding("KYSOB001", certificate: "b", at: 60)]
        let stop = try RestoreDecision(backup: backup, current: current, choice: nil)
        #expect(stop.unchanged == ["KYSOA001"] && stop.writing.map(\.key.text) == [Self.taxCode] && stop.removing.isEmpty)
        #expect(stop.conflicts.map(\.account) == ["KYSOB001"] && stop.conflicts.first?.currentIsNewer == true)
        #expect(stop.kept == ["KYSOB001"], "without a choice a conflict is left as it is")

        let replace = try RestoreDecision(backup: backup, current: current, choice: .replace)
        #expect(replace.writing.map(\.key.text) == [Self.taxCode, "KYSOB001"] && replace.removing.map(\.text) == ["KYSOB001"])
        let keep = try RestoreDecision(backup: backup, current: current, choice: .keepCurrent)
        #expect(keep.writing.map(\.key.text) == [Self.taxCode] && keep.kept == ["KYSOB001"] && keep.removing.isEmpty)
    }

    @Test("the backup's certificate serving another declarant account here is a conflict too")
    func certificateTaken() throws {
        let backup = [try Self.binding("KYSOC001", certificate: "c", at: 0)]
        let current = [try Self.binding("KYSOD001", certificate: "c", at: 30)]
        let stop = try RestoreDecision(backup: backup, current: current, choice: nil)
        #expect(stop.writing.isEmpty && stop.conflicts.map(\.currentAccount) == ["KYSOD001"])
        let replace = try RestoreDecision(backup: backup, current: current, choice: .replace)
        #expect(replace.writing.map(\.key.text) == ["KYSOC001"] && replace.removing.map(\.text) == ["KYSOD001"])
        #expect(throws: OperationFailure.self) { try RestoreDecision(backup: backup + backup, current: [], choice: nil) }
    }
}
