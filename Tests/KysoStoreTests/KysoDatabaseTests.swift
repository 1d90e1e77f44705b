import Foundation
import KysoTestSupport
import KysoStore
import Testing

@Suite struct KysoDatabaseTests {
    @Test func fileDatabaseIsWALAndPrivate() async throws {
        let folder = try TemporaryDirectory()
        let state = folder.url.appendingPathComponent("state")
        let database = try KysoDatabase(stateDirectory: state)
        #expect(try database.journalMode() == "wal")
        try await database.insertBinding(Sample.declarant("AB12C001", certificate: "one"))
        let path = state.appendingPathComponent(KysoDatabase.fileName).path
        #expect(database.path == path)
        for file in [path, path + "-wal", path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let directoryMode = try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
    }

    @Test func widerModeOnAnExistingFileIsNarrowed() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file(KysoDatabase.fileName)
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = try KysoDatabase(stateDirectory: folder.url)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
    }

    @Test func migrationsAreNamedAndAppliedOnce() throws {
        let folder = try TemporaryDirectory()
        let names = try KysoDatabase(stateDirectory: folder.url).appliedMigrations()
        #expect(names == ["v1 binding", "v1 secret", "v1 audit", "v2 secret oaepHash", "v3 registration_statement", "v4 audit category", "v5 reminder"])
        #expect(try KysoDatabase(stateDirectory: folder.url).appliedMigrations() == names)
        #expect(try KysoDatabase(inMemoryWithAuditRetention: .standard).appliedMigrations() == names)
    }

    @Test func dataSurvivesReopening() async throws {
        let folder = try TemporaryDirectory()
        let binding = Sample.declarant("AB12C001", certificate: "one")
        do {
            let database = try KysoDatabase(stateDirectory: folder.url)
            try await database.insertBinding(binding, secrets: [Sample.hostSecret("AB12C001")])
        }
        let reopened = try KysoDatabase(stateDirectory: folder.url)
        #expect(try await reopened.bindings() == [binding])
        #expect(try await reopened.secretKinds(userId: binding.account.userId!) == [.terminalAccessKey])
        #expect(try reopened.integrityProblems().isEmpty)
    }

    @Test func aFileInPlaceOfTheStateDirectoryIsAClearError() throws {
        let folder = try TemporaryDirectory()
        let notDirectory = folder.url.appendingPathComponent("state")
        #expect(FileManager.default.createFile(atPath: notDirectory.path, contents: Data()))
        #expect(throws: StoreError(.fileSystem, "")) { try KysoDatabase(stateDirectory: notDirectory) }
    }
}
