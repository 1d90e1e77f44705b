import Foundation
import KysoCore
import KysoStore
import Testing

@Suite struct SecretStoreTests {
    let database: KysoDatabase

    init() throws {
        database = try KysoDatabase(inMemoryWithAuditRetention: .standard)
    }

    @Test func storesReplacesAndDeletesSealedSecrets() async throws {
        let userId = try UserID("AB12C001")
        try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"))
        let tokenSealed = SealedSecret(
            userId: userId, kind: .password, sealing: .token(certificateSha256: Sample.sha256("one"), oaep: .sha1),
            ciphertext: Array(repeating: 7, count: 256), createdAt: Sample.now)
        try await database.storeSecret(Sample.hostSecret("AB12C001"))
        try await database.storeSecret(tokenSealed)
        #expect(try await database.secret(userId: userId, kind: .password) == tokenSealed)
        #expect(try await database.secretKinds(userId: userId) == [.password, .terminalAccessKey])

        let replacement = SealedSecret(userId: userId, kind: .password, sealing: .host, ciphertext: [9], createdAt: Sample.now)
        try await database.storeSecret(replacement)
        #expect(try await database.secret(userId: userId, kind: .password) == replacement)

        #expect(try await database.deleteSecrets(userId: userId) == 2)
        #expect(try await database.secretKinds(userId: userId).isEmpty)
    }

    @Test func secretsNeedABindingAndGoWithIt() async throws {
        await #expect(throws: StoreError(.notBound, "")) { try await database.storeSecret(Sample.hostSecret("AB12C001")) }
        try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"), secrets: [Sample.hostSecret("AB12C001")])
        try await database.deleteBinding(userId: UserID("AB12C001"))
        #expect(try await database.secret(userId: UserID("AB12C001"), kind: .terminalAccessKey) == nil)
    }
}

@Suite struct AuditLogTests {
    func entry(_ seconds: Double, _ action: AuditAction = .sign, outcome: AuditOutcome = .success) -> AuditEntry {
        AuditEntry(
            time: Sample.now.addingTimeInterval(seconds), uid: 1000, pid: 4242, executable: "/usr/bin/ecus", action: action,
            tokenId: "softhsm-1234", certificateSha256: Sample.sha256("one"), mechanism: "rsa-pkcs1-sha256",
            dataSha256: Sample.sha256("data"), outcome: outcome, detail: "AB12C001")
    }

    @Test func appendsAndReadsNewestFirst() async throws {
        let database = try KysoDatabase(inMemoryWithAuditRetention: .standard)
        let first = try await database.appendAudit(entry(0.25))
        let second = try await database.appendAudit(entry(1, .secretReveal, outcome: .refused))
        #expect(second > first)
        let records = try await database.audit()
        #expect(records.map(\.id) == [second, first])
        var expected = entry(0.25)
        expected.id = first
        #expect(records.last == expected)
        #expect(try await database.audit(limit: 1).map(\.action) == [.secretReveal])
        #expect(try await database.audit(since: Sample.now.addingTimeInterval(0.5)).map(\.id) == [second])
    }

    @Test func keepsAtMostTheConfiguredNumberOfRecords() async throws {
        let database = try KysoDatabase(inMemoryWithAuditRetention: AuditRetention(maximumAgeDays: 365, maximumRows: 5))
        for second in 0..<12 { try await database.appendAudit(entry(Double(second))) }
        let records = try await database.audit(limit: 100)
        #expect(records.count == 5)
        #expect(records.map(\.time) == (7..<12).reversed().map { Sample.now.addingTimeInterval(Double($0)) })
    }

    @Test func dropsRecordsOlderThanTheConfiguredAge() async throws {
        let database = try KysoDatabase(inMemoryWithAuditRetention: AuditRetention(maximumAgeDays: 30, maximumRows: 1000))
        try await database.appendAudit(entry(0))
        try await database.appendAudit(entry(86_400 * 10))
        #expect(try await database.audit().count == 2)
        try await database.appendAudit(entry(86_400 * 35))
        let times = try await database.audit().map(\.time)
        #expect(times == [Sample.now.addingTimeInterval(86_400 * 35), Sample.now.addingTimeInterval(86_400 * 10)])
    }
}
