import Foundation
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, item 12 (the process part): kysod can leave no core file and is not dumpable, so the PINs and secrets
/// it holds for a moment are not written to disk by a crash, nor read by another process of its own uid (ptrace,
/// /proc/PID/mem), such as a vendor module's helper running as `kyso`.
@Suite("kysod's process (issue 18: 12)", .timeLimit(.minutes(2)))
struct ProcessHardeningTests {
    /// "Max core file size" soft and hard limits from /proc/PID/limits.
    static func coreLimits(_ pid: Int32) throws -> [String] {
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        return Array(line.dropFirst("Max core file size".count).split(separator: " ").prefix(2).map(String.init))
    }

    @Test("12: kysod run as an unprivileged user, started with core dumps allowed: RLIMIT_CORE 0 and /proc/PID/mem is root's (not dumpable)",
          .enabled(if: LocalUser.canCreate, "needs root and useradd"))
    func noCoreAndNotDumpable() async throws {
        let scratch = try Scratch()
        let user = try LocalUser()
        let run = try scratch.folder("run", mode: 0o700)
        let state = try scratch.folder("state", mode: 0o700)
        try user.own(run)
        try user.own(state)
        // The socket's group must be one the user may give it: its own.
        let configuration = try scratch.file("kysod.json", #"{"group": "\#(user.name)"}"#, mode: 0o644)
        let socket = run + "/kysod.sock"
        let kysod = try KysodLaunch(
            ["--socket", socket, "--state-dir", state, "--config", configuration] + KysodLaunch.quiet,
            prefix: ["/usr/bin/prlimit", "--core=unlimited:unlimited", "--"] + user.setpriv, environment: ["HOME": state])
        try await kysod.waitUntilServing(socket)

        let limits = try Self.coreLimits(kysod.pid)
        #expect(limits == ["0", "0"], "kysod's core file size limits (soft, hard) are \(limits), started with unlimited")
        // The kernel gives the files in a non-dumpable process's /proc/PID to root; a dumpable one's stay its user's.
        for file in ["mem", "environ", "status"] {
            let facts = try #require(FileFacts("/proc/\(kysod.pid)/\(file)"))
            #expect(facts.owner == 0, "/proc/\(kysod.pid)/\(file) belongs to uid \(facts.owner) (kysod runs as \(user.uid)): kysod is dumpable")
        }
        // Its socket is still made as usual.
        #expect(FileFacts(socket)?.mode == 0o660)
        #expect(FileFacts(socket)?.owner == user.uid)
        try await kysod.stop()
    }
}
