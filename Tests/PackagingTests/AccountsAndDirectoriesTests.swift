import Foundation
import Testing

/// systemd-sysusers and systemd-tmpfiles applied to an empty root folder (`--root`), so the host's
/// /etc/passwd and /run are never touched.
@Suite(.enabled(if: isInstalled("systemd-sysusers") && isInstalled("systemd-tmpfiles"), "systemd tools missing"))
struct AccountsAndDirectoriesTests {
    @Test func sysusersCreatesALockedSystemAccountHomedInTheStateDirectory() throws {
        try withTemporaryDirectory { root in
            try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
            let result = try runProgram(
                "systemd-sysusers", ["--root=\(root.path)", repositoryFile("systemd/sysusers.d/kyso.conf").path])
            #expect(result.status == 0, "\(result.output)")
            let user = try #require(try accountEntry(named: "kyso", in: root.appendingPathComponent("etc/passwd")))
            let kysoGroup = try #require(try accountEntry(named: "kyso", in: root.appendingPathComponent("etc/group")))
            #expect(user.count == 7)
            let uid = try #require(Int(user[2]))
            #expect(uid > 0 && uid < 1000, "a system uid")
            #expect(user[3] == kysoGroup[2], "primary group kyso")
            #expect(user[5] == "/var/lib/kyso")
            #expect(user[6].hasSuffix("nologin"))
        }
    }

    @Test func tmpfilesCreatesTheSocketAndConfigurationDirectories() throws {
        try withTemporaryDirectory { root in
            try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
            let users = try runProgram(
                "systemd-sysusers", ["--root=\(root.path)", repositoryFile("systemd/sysusers.d/kyso.conf").path])
            #expect(users.status == 0, "\(users.output)")
            let result = try runProgram(
                "systemd-tmpfiles", ["--create", "--root=\(root.path)", repositoryFile("systemd/tmpfiles.d/kyso.conf").path])
            #expect(result.status == 0, "\(result.output)")

            let kysoGroup = try #require(try accountEntry(named: "kyso", in: root.appendingPathComponent("etc/group")))
            let gid = try #require(UInt32(kysoGroup[2]))
            let run = root.appendingPathComponent("run/kyso")
            let etc = root.appendingPathComponent("etc/kyso")
            #expect(try permissions(of: run) == 0o750)
            #expect(try ownership(of: run).gid == gid)
            // Root's, so nobody but root can replace the socket in it (issue 18, item 1).
            #expect(try ownership(of: run).uid == 0, "/run/kyso belongs to root")
            #expect(try permissions(of: etc) == 0o750)
            #expect(try ownership(of: etc).uid == 0)
            #expect(try ownership(of: etc).gid == gid)
        }
    }
}
