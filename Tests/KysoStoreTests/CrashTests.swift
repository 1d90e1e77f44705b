import Crypto
import Foundation
import KysoTestSupport
import KysoCore
import KysoStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at arbitrary moments during many writes leaves a sound database with only whole bindings.
@Suite struct CrashTests {
    static let writer: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("kyso-store-crash-writer").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("kyso-store-crash-writer")
    }()

    @Test(.timeLimit(.minutes(2)))
    func killedWriterLeavesOnlyWholeBindings() async throws {
        let folder = try TemporaryDirectory()
        var killedAt: [Int] = []
        // Several kills, each after a different, random delay, so they land at different points of a transaction.
        for round in 0..<5 {
            let before = try await KysoDatabase(stateDirectory: folder.url).bindings().count
            let process = Process()
            process.executableURL = Self.writer
            process.arguments = [folder.url.path, String(before)]
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Let it get going (the first round also creates and migrates the database), then kill it mid-stream.
            let start = ContinuousClock.now
            while try await KysoDatabase(stateDirectory: folder.url).bindings().count < before + 5 {
                #expect(process.isRunning, "writer exited with \(process.terminationStatus) in round \(round)")
                guard process.isRunning, ContinuousClock.now - start < .seconds(60) else { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

            let database = try KysoDatabase(stateDirectory: folder.url)
            #expect(try database.integrityProblems().isEmpty)
            let bindings = try await database.bindings()
            killedAt.append(bindings.count)
            try await checkWhole(bindings, in: database)
        }
        #expect(killedAt == killedAt.sorted())
        #expect(killedAt.last ?? 0 >= 25)
    }

    /// Every binding carries exactly the bytes the writer produced, its secret and its audit record: one
    /// transaction wrote all three, so the counts agree too.
    func checkWhole(_ bindings: [AccountBinding], in database: KysoDatabase) async throws {
        for binding in bindings {
            let userId = try #require(binding.account.userId)
            let statement = Array(String(repeating: "statement \(userId) ", count: 200).utf8)
            #expect(binding.statement == statement, "\(userId)")
            #expect(binding.signature == expand(statement, count: 64 * 1024), "\(userId)")
            let secret = try await database.secret(userId: userId, kind: .terminalAccessKey)
            #expect(secret?.ciphertext == expand(Array(userId.value.suffix(3).utf8), count: 48), "\(userId)")
        }
        let audit = try await database.audit(limit: 100_000)
        #expect(audit.count == bindings.count)
        #expect(Set(audit.compactMap(\.detail)) == Set(bindings.compactMap { $0.account.userId?.value }))
    }

    /// The writer's deterministic bytes (Tests/KysoStoreCrashWriter/main.swift).
    func expand(_ seed: [UInt8], count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var counter: UInt32 = 0
        while out.count < count {
            out += SHA256.hash(data: seed + withUnsafeBytes(of: counter.bigEndian) { Array($0) })
            counter += 1
        }
        return Array(out.prefix(count))
    }
}
