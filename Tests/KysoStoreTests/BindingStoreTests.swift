import Foundation
import KysoCore
import KysoStore
import Testing

@Suite struct BindingStoreTests {
    let database: KysoDatabase

    init() throws {
        database = try KysoDatabase(inMemoryWithAuditRetention: .standard)
    }

    @Test func storesReadsListsAndDeletesBindings() async throws {
        let declarant = Sample.declarant("AB12C001", certificate: "one")
        let admin = Sample.admin(certificate: "one")  // the admin account may use a declarant's certificate
        try await database.insertBinding(declarant)
        try await database.insertBinding(admin)

        #expect(try await database.bindings() == [admin, declarant])  // ordered by key: tax code, then User ID
        #expect(try await database.binding(userId: UserID("AB12C001")) == declarant)
        #expect(try await database.binding(for: .admin(Sample.taxCode)) == admin)
        #expect(try await database.binding(userId: UserID("ZZ99Z999")) == nil)
        #expect(try await database.bindings(certificateSha256: Sample.sha256("one")).count == 2)

        #expect(try await database.deleteBinding(userId: UserID("AB12C001")) == declarant)
        #expect(try await database.deleteBinding(userId: UserID("AB12C001")) == nil)
        #expect(try await database.bindings() == [admin])
    }

    @Test func aStatementIsBoundOnlyIfIssuedAndOnlyOnce() async throws {
        let statement = Sample.sha256("statement")
        await #expect(throws: StoreError(.statementNotIssued, "")) {
            try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"), consumingStatement: statement)
        }
        #expect(try await database.bindings().isEmpty)
        try await database.recordIssuedStatement(sha256: statement, issuedAt: Date())
        #expect(try await database.statementState(sha256: statement) == .issued)
        try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"), consumingStatement: statement)
        #expect(try await database.statementState(sha256: statement) == .consumed)
        // Unbound, then offered again: still used. Issuing it again (same bytes) does not make it new.
        try await database.deleteBinding(userId: UserID("AB12C001"))
        try await database.recordIssuedStatement(sha256: statement, issuedAt: Date())
        await #expect(throws: StoreError(.statementAlreadyUsed, "")) {
            try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"), consumingStatement: statement)
        }
        #expect(try await database.bindings().isEmpty)
        // Unbound statements past their lifetime are forgotten when the next one is issued.
        let old = Sample.sha256("old")
        try await database.recordIssuedStatement(sha256: old, issuedAt: Date(timeIntervalSinceNow: -2 * KysoDatabase.unusedStatementLifetime))
        try await database.recordIssuedStatement(sha256: Sample.sha256("new"), issuedAt: Date())
        #expect(try await database.statementState(sha256: old) == .notIssued)
        #expect(try await database.statementState(sha256: statement) == .consumed)
    }

    @Test func theStoreRefusesDuplicatesEvenWithoutTheRules() async throws {
        try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"))
        try await database.insertBinding(Sample.admin(certificate: "two"))
        await #expect(throws: StoreError(.duplicateAccount, "")) {
            try await database.insertBinding(Sample.declarant("AB12C001", certificate: "three"))
        }
        await #expect(throws: StoreError(.certificateAlreadyBound, "")) {
            try await database.insertBinding(Sample.declarant("AB12C002", certificate: "one"))
        }
        await #expect(throws: StoreError(.duplicateAccount, "")) {
            try await database.insertBinding(Sample.admin(certificate: "three"))
        }
        #expect(try await database.bindings().count == 2)
    }

    @Test func aFailureMidTransactionStoresNothing() async throws {
        // The second secret names an account that is not bound: its foreign key fails after the binding row and
        // the first secret were written, inside the same transaction.
        let binding = Sample.declarant("AB12C001", certificate: "one")
        await #expect(throws: StoreError(.notBound, "")) {
            try await database.insertBinding(
                binding, secrets: [Sample.hostSecret("AB12C001"), Sample.hostSecret("ZZ99Z999")],
                audit: AuditEntry(time: Sample.now, action: .bind, outcome: .success))
        }
        #expect(try await database.bindings().isEmpty)
        #expect(try await database.secret(userId: UserID("AB12C001"), kind: .terminalAccessKey) == nil)
        #expect(try await database.audit().isEmpty)
    }

    @Test func moveBindingTakesNewSecretsAndDropsThoseOnlyTheOldTokenCouldOpen() async throws {
        let old = Sample.declarant("AB12C001", certificate: "old")
        let userId = try UserID("AB12C001")
        let sealedToOld = SealedSecret(userId: userId, kind: .password, sealing: .token(certificateSha256: Sample.sha256("old"), oaep: .sha256),
                                       ciphertext: Array(repeating: 5, count: 256), createdAt: Sample.now)
        try await database.insertBinding(old, secrets: [Sample.hostSecret("AB12C001"), sealedToOld])
        try await database.insertBinding(Sample.declarant("AB12C002", certificate: "taken"))
        #expect(try await database.secretIndex() == ["AB12C001": [.terminalAccessKey: "host", .password: "token"]])

        // A move that fails changes nothing, new secrets included.
        let ontoTaken = AccountBinding(account: old.account, certificate: Sample.certificate("taken"), statement: [1], signature: [2], createdAt: Sample.now)
        let newKey = SealedSecret(userId: userId, kind: .terminalAccessKey, sealing: .host, ciphertext: [9, 9], createdAt: Sample.now)
        await #expect(throws: StoreError(.certificateAlreadyBound, "")) { try await database.moveBinding(to: ontoTaken, secrets: [newKey]) }
        #expect(try await database.secret(userId: userId, kind: .terminalAccessKey) == Sample.hostSecret("AB12C001"))
        #expect(try await database.secret(userId: userId, kind: .password) == sealedToOld)

        let renewed = AccountBinding(account: old.account, certificate: Sample.certificate("new"), statement: [3], signature: [4], createdAt: Sample.now)
        try await database.moveBinding(to: renewed, secrets: [newKey])
        #expect(try await database.secret(userId: userId, kind: .terminalAccessKey) == newKey)
        #expect(try await database.secret(userId: userId, kind: .password) == nil)
        #expect(try await database.secretIndex() == ["AB12C001": [.terminalAccessKey: "host"]])
    }

    @Test func moveBindingReplacesTheCertificateOnly() async throws {
        let old = Sample.declarant("AB12C001", certificate: "old")
        try await database.insertBinding(old, secrets: [Sample.hostSecret("AB12C001")])
        try await database.insertBinding(Sample.declarant("AB12C002", certificate: "taken"))
        let renewed = AccountBinding(
            account: old.account, certificate: Sample.certificate("new", notAfter: Date(timeIntervalSince1970: 1_893_456_000)),
            statement: Array("new statement".utf8), signature: [0x30, 0x01], createdAt: Sample.now.addingTimeInterval(60))

        let replaced = try await database.moveBinding(
            to: renewed, audit: AuditEntry(time: Sample.now, action: .rebind, outcome: .success))
        #expect(replaced == old)
        #expect(try await database.binding(userId: UserID("AB12C001")) == renewed)
        #expect(try await database.secretKinds(userId: UserID("AB12C001")) == [.terminalAccessKey])
        #expect(try await database.audit().map(\.action) == [.rebind])

        let ontoTaken = AccountBinding(
            account: old.account, certificate: Sample.certificate("taken"), statement: [1], signature: [2], createdAt: Sample.now)
        await #expect(throws: StoreError(.certificateAlreadyBound, "")) { try await database.moveBinding(to: ontoTaken) }
        await #expect(throws: StoreError(.notBound, "")) {
            try await database.moveBinding(to: Sample.declarant("ZZ99Z999", certificate: "free"))
        }
        let otherTerminal = Sample.declarant("AB12C001", certificate: "free", terminalId: "T00009")
        await #expect(throws: StoreError(.invalidStoredValue, "")) { try await database.moveBinding(to: otherTerminal) }
        #expect(try await database.binding(userId: UserID("AB12C001")) == renewed)
    }

    @Test func rowsReadBackThroughValidation() async throws {
        // Non-ASCII holder names, identifiers with separators and binary blobs survive the round trip.
        let binding = AccountBinding(
            account: .declarant(taxCode: Sample.taxCode, userId: try UserID("AB12C001"), terminalId: try TerminalID("T00001")),
            certificate: BoundCertificate(
                sha256: Sample.sha256("x"), serialNumber: "00FF", issuer: "CN=Viettel-CA TEST,O=Viettel Group,L=Hà Nội,C=VN",
                provider: "viettel", taxCode: try TaxCode("0104359717"), notBefore: Date(timeIntervalSince1970: 0),
                notAfter: Date(timeIntervalSince1970: 1_900_000_000),
                holder: CertificateHolder(commonName: nil, identifiers: ["XYZ:A,B\n\"C\"", "MST:0104359717"])),
            statement: Array(0...255), signature: Array((0...255).reversed()), createdAt: Sample.now)
        try await database.insertBinding(binding)
        #expect(try await database.bindings() == [binding])
    }
}
