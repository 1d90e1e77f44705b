import Foundation
import KysoAPI
import KysoTestSupport
import Testing

/// Hot-plug that never lies: a virtual PIV card through OpenSC inserted and pulled again and again, the pull 0 to 2 s
/// after its token.inserted. OpenSC 0.23 loaded into kysod (initialised with locking) deadlocks in C_GetTokenInfo
/// within a few such pulls and kysod then sees no card at all (OPENSC-PULL-DEADLOCK.md); in its module host,
/// initialised with C_Initialize(NULL) and called from one thread, it must report every pull.
@Suite("kysod with cards pulled at any moment", .enabled(if: SmartcardLab.isAvailable))
struct PullCycleTests {
    /// Pull delays after token.inserted, in turn.
    static let delays: [Duration] = [.zero, .milliseconds(100), .milliseconds(300), .milliseconds(500), .seconds(1), .seconds(2)]

    @Test("insert and pull a card through OpenSC: every pull is token.removed (within 5 s under the suite's load; make bench: 1 s), every insertion token.inserted, the module loaded at the end",
          .timeLimit(.minutes(8)))
    func pullCycles() async throws {
        // 3 per delay here (about a minute beside the rest of the suite); `make bench` runs 200 (kyso-bench --only
        // cards, the pull-cycle section), KYSO_PULL_CYCLES more here.
        let cycles = Int(ProcessInfo.processInfo.environment["KYSO_PULL_CYCLES"] ?? "") ?? 18
        // KYSO_PULL_ISOLATION=in-process shows the stall this test guards against (OpenSC loaded into kysod).
        let isolation = ProcessInfo.processInfo.environment["KYSO_PULL_ISOLATION"] ?? "host"
        let (labDirectory, _) = try await Lab.copy()
        let pcsc = try await SmartcardLab()
        defer { pcsc.stop() }
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", SmartcardLab.openSCModule, "--poll-interval", "30", "--module-isolation", isolation],
            environment: pcsc.environment.merging(["OPENSC_CONF": "/etc/opensc/opensc.conf"]) { $1 })
        let client = KysoClient(socketPath: daemon.socketPath)
        var events = client.events().makeAsyncIterator()
        _ = try await daemon.nextEvent(&events, ["snapshot"])
        let identity = try pcsc.identity(labDirectory: labDirectory)

        var removals: [Double] = []
        var missed: [String] = []
        for cycle in 0..<cycles {
            let delay = Self.delays[cycle % Self.delays.count]
            let card = try await pcsc.insert(key: identity.key, certificate: identity.certificate)
            let inserted = try await daemon.nextEvent(&events, ["token.inserted"], timeout: .seconds(15))
            #expect(inserted.data.token?.module == "opensc-pkcs11.so", "\(inserted)")
            try await Task.sleep(for: delay)
            let pulledAt = ContinuousClock.now
            card.remove()
            do {
                _ = try await daemon.nextEvent(&events, ["token.removed"], timeout: .seconds(15))
                let seconds = (ContinuousClock.now - pulledAt).seconds
                removals.append(seconds)
                // 1 s is the target `make bench` holds, alone on the machine. Here 60 other suites share its 2 cores (a
                // fresh-clone CI run saw a first pull, during OpenSC's first read of a card, reported after 3.2 s), so
                // the bound is 5 s: what this test guards is that no pull goes unreported. The worst case is printed.
                if seconds > 5 { missed.append("cycle \(cycle) (pull \(delay) after insertion): token.removed after \(String(format: "%.2f", seconds)) s") }
            } catch {
                missed.append("cycle \(cycle) (pull \(delay) after insertion): no token.removed")
                break
            }
            try await Task.sleep(for: .milliseconds(700))
        }
        let status = try #require(try await client.status().status)
        let module = try #require(status.modules.first { $0.path == SmartcardLab.openSCModule })
        let worst = removals.max() ?? .infinity
        print("pull cycles: \(removals.count) of \(cycles) pulls reported, worst pull → token.removed \(String(format: "%.3f", worst)) s, median \(String(format: "%.3f", removals.sorted()[removals.count / 2])) s; module \(module.state), host restarts \(module.host?.restarts ?? -1), crashes \(module.host?.crashes ?? -1)")
        #expect(missed.isEmpty, "\(missed)")
        #expect(removals.count == cycles)
        #expect(module.state == .loaded && status.tokenCount == 0, "\(module)")
        #expect(daemon.isRunning)
        #expect(try await daemon.stopOrExplain() == 0)
    }
}
