import Foundation
import KysoAPI
import KysoStore
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, items 1, 2, 10 and 11: kysod's socket and state directory are its own, one kysod at a time, and a
/// start that cannot have them stops at once with a message and exit status 1.
@Suite("Socket and state directory (issue 18: 1, 2, 10, 11)", .timeLimit(.minutes(2)))
struct SocketAndStateTests {
    /// Runs kysod (root) on `socket` and `state` and expects it to stop by itself with status 1, saying `words`.
    func expectRefusal(socket: String, state: String, saying words: [String], _ comment: String) async throws {
        let kysod = try KysodLaunch(["--socket", socket, "--state-dir", state] + KysodLaunch.quiet)
        let status = try await kysod.exitStatus()
        #expect(status == 1, "\(comment): kysod \(status.map { "exited \($0)" } ?? "was still running after 10 s"): \(kysod.output)")
        for word in words { #expect(kysod.output.contains(word), "\(comment): no “\(word)” in: \(kysod.output)") }
    }

    // MARK: 1. The socket's folder and path

    @Test("1: a socket folder another user owns is refused (they could swap the socket for a symlink before chmod)",
          .enabled(if: LocalUser.canCreate, "needs root and useradd"))
    func socketFolderOfAnotherUser() async throws {
        let scratch = try Scratch()
        let user = try LocalUser()
        let run = try scratch.folder("run", mode: 0o750)
        try user.own(run)
        try await expectRefusal(socket: run + "/kysod.sock", state: scratch.path + "/state",
                                saying: [run, "belongs to \(user.name)"], "socket folder owned by \(user.name)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).isEmpty, "kysod left something in the refused folder")
    }

    @Test("1: a socket folder writable by group or others is refused, sticky or not", arguments: [0o775, 0o777, 0o1777])
    func writableSocketFolder(mode: Int) async throws {
        let scratch = try Scratch()
        let run = try scratch.folder("run", mode: mode)
        try await expectRefusal(socket: run + "/kysod.sock", state: scratch.path + "/state",
                                saying: [run, "writable by"], "socket folder mode \(String(mode, radix: 8))")
    }

    @Test("1 and 11: a symlink at the socket path: exit 1 at once, and the file it points to keeps its owner and mode")
    func symlinkAtSocketPath() async throws {
        let scratch = try Scratch()
        let run = try scratch.folder("run")
        let victim = try scratch.file("victim", "root's own\n", mode: 0o600)
        let before = try #require(FileFacts(victim))
        symlink(victim, run + "/kysod.sock")
        try await expectRefusal(socket: run + "/kysod.sock", state: scratch.path + "/state",
                                saying: [run + "/kysod.sock", "a symlink"], "symlink at the socket path")
        #expect(FileFacts(victim) == before, "the symlink's target changed: \(String(describing: FileFacts(victim)))")
        #expect(FileFacts(run + "/kysod.sock")?.mode == 0o777, "the symlink itself was replaced")
    }

    @Test("11: a regular file at the socket path: exit 1 at once, the file left as it was")
    func regularFileAtSocketPath() async throws {
        let scratch = try Scratch()
        _ = try scratch.folder("run")
        let path = try scratch.file("run/kysod.sock", "not a socket\n", mode: 0o644)
        try await expectRefusal(socket: path, state: scratch.path + "/state", saying: [path, "a regular file"], "regular file at the socket path")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a socket\n")
    }

    @Test("11: a socket folder kysod cannot write in (kysod as an unprivileged user): exit 1 at once",
          .enabled(if: LocalUser.canCreate, "needs root and useradd"))
    func unwritableSocketFolder() async throws {
        let scratch = try Scratch()
        let user = try LocalUser()
        let run = try scratch.folder("run", mode: 0o755)  // root's
        let state = try scratch.folder("state", mode: 0o700)
        try user.own(state)
        let kysod = try KysodLaunch(["--socket", run + "/kysod.sock", "--state-dir", state] + KysodLaunch.quiet, prefix: user.setpriv)
        let status = try await kysod.exitStatus()
        #expect(status == 1, "kysod \(status.map { "exited \($0)" } ?? "was still running after 10 s"): \(kysod.output)")
        #expect(kysod.output.contains(run), "the message does not name the folder: \(kysod.output)")
    }

    @Test("11: a socket from systemd that kysod cannot use (LISTEN_FDS on a regular file): exit 1 at once, saying so")
    func unusableSystemdSocket() async throws {
        let scratch = try Scratch()
        let notASocket = try scratch.file("not-a-socket", "", mode: 0o600)
        // sh sets LISTEN_PID to its own pid, then becomes kysod with the file as descriptor 3.
        let activation = "export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$0\" \"$@\" 3<'\(notASocket)'"
        let kysod = try KysodLaunch(["--socket", scratch.path + "/run/kysod.sock", "--state-dir", scratch.path + "/state"] + KysodLaunch.quiet,
                                    prefix: ["/bin/sh", "-c", activation])
        let status = try await kysod.exitStatus()
        #expect(status == 1, "kysod \(status.map { "exited \($0)" } ?? "was still running after 10 s"): \(kysod.output)")
        #expect(kysod.output.contains("cannot listen on the socket from systemd"), "\(kysod.output)")
    }

    // MARK: 10. One kysod per socket and per state directory

    @Test("10: a second kysod on a live socket refuses to start; the first keeps its socket and answers")
    func secondDaemonOnTheSameSocket() async throws {
        let first = try await DaemonProcess(arguments: KysodLaunch.quiet)
        let before = try #require(FileFacts(first.socketPath))
        let scratch = try Scratch()
        try await expectRefusal(socket: first.socketPath, state: scratch.path + "/state",
                                saying: [first.socketPath, "listening"], "second kysod on the same socket")
        #expect(FileFacts(first.socketPath)?.inode == before.inode, "the live socket was replaced")
        #expect(try await KysoClient(socketPath: first.socketPath).request(.GET, "/v1/status").status == 200)
        #expect(try await first.stop() == 0)
    }

    @Test("10: a second kysod on a state directory in use refuses to start, naming the first one's pid")
    func secondDaemonOnTheSameStateDirectory() async throws {
        let first = try await DaemonProcess(arguments: KysodLaunch.quiet)
        let scratch = try Scratch()
        try await expectRefusal(socket: scratch.path + "/run/kysod.sock", state: first.directory.appendingPathComponent("state").path,
                                saying: ["another kysod (pid \(first.pid))"], "second kysod on the same state directory")
        #expect(FileFacts(scratch.path + "/run/kysod.sock") == nil, "the refused kysod left a socket behind")
        #expect(try await KysoClient(socketPath: first.socketPath).request(.GET, "/v1/status").status == 200)
        #expect(try await first.stop() == 0)
    }

    @Test("10: the socket and lock of a killed kysod do not stop the next one (stale socket replaced, lock released)")
    func staleSocketAfterKill() async throws {
        let scratch = try Scratch()
        let socket = scratch.path + "/run/kysod.sock"
        let arguments = ["--socket", socket, "--state-dir", scratch.path + "/state"] + KysodLaunch.quiet
        let first = try KysodLaunch(arguments)
        try await first.waitUntilServing(socket)
        kill(first.pid, SIGKILL)
        _ = try await first.exitStatus()
        #expect(FileFacts(socket) != nil, "SIGKILL left no socket, so this test shows nothing")
        let second = try KysodLaunch(arguments)
        try await second.waitUntilServing(socket)
        #expect(FileFacts(socket)?.mode == 0o660)
        try await second.stop()
    }

    // MARK: 2. The state directory and its files

    @Test("2: a state directory another user made (mode 0777, their host.key) is refused and left untouched",
          .enabled(if: LocalUser.canCreate, "needs root and useradd"))
    func stateDirectoryOfAnotherUser() async throws {
        let scratch = try Scratch()
        let user = try LocalUser()
        let state = try scratch.folder("state", mode: 0o777)
        let key = try scratch.file("state/host.key", String(repeating: "k", count: 32), mode: 0o600)
        try user.own(state)
        try user.own(key)
        try await expectRefusal(socket: scratch.path + "/run/kysod.sock", state: state,
                                saying: [state, "belongs to \(user.name)"], "state directory owned by \(user.name)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state) == ["host.key"], "kysod wrote into the refused directory")
        #expect(FileFacts(scratch.path + "/run/kysod.sock") == nil, "the refused kysod made its socket")
    }

    @Test("2: a file in kysod's own state directory that another user owns (their WAL) is refused, by name",
          .enabled(if: LocalUser.canCreate, "needs root and useradd"))
    func foreignFileInStateDirectory() async throws {
        let scratch = try Scratch()
        let user = try LocalUser()
        let state = try scratch.folder("state", mode: 0o700)
        try user.own(try scratch.file("state/kyso.sqlite-wal", "", mode: 0o600))
        try await expectRefusal(socket: scratch.path + "/run/kysod.sock", state: state,
                                saying: ["kyso.sqlite-wal", "belongs to \(user.name)"], "WAL owned by \(user.name)")
    }

    @Test("2: a state directory or file writable by group or others, or a symlink in it, is refused",
          arguments: ["directory 0770", "directory 0707", "kyso.sqlite 0620", "host.key 0602", "symlink"])
    func writableStateFiles(_ variant: String) async throws {
        let scratch = try Scratch()
        let state = try scratch.folder("state", mode: variant.hasPrefix("directory") ? Int(variant.suffix(4), radix: 8)! : 0o700)
        var words = [state]
        switch variant {
        case "symlink":
            symlink("/etc/shadow", state + "/kyso.sqlite")
            words.append("symlink")
        case let file where !file.hasPrefix("directory"):
            let parts = file.split(separator: " ")
            try scratch.file("state/\(parts[0])", "", mode: Int(parts[1], radix: 8)!)
            words += [String(parts[0]), "writable by"]
        default:
            words.append("writable by")
        }
        try await expectRefusal(socket: scratch.path + "/run/kysod.sock", state: state, saying: words, variant)
    }

    @Test("2: a state directory given as a symlink is refused (kysod checks the folder it will really use)")
    func stateDirectoryThroughSymlink() async throws {
        let scratch = try Scratch()
        let real = try scratch.folder("real", mode: 0o700)
        symlink(real, scratch.path + "/state")
        try await expectRefusal(socket: scratch.path + "/run/kysod.sock", state: scratch.path + "/state",
                                saying: ["symlink"], "state directory through a symlink")
    }
}
