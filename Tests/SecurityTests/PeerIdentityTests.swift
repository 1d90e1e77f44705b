import Foundation
import KysoAPI
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Item 3 of the hardening review: a caller's groups were read from /proc/PID/status when kysod accepted the
/// connection, so whatever was at that PID then (the caller with groups it gained since, or another process on
/// a reused PID) lent the request its groups and its executable's name.
///
/// kysod is stopped (SIGSTOP) while the client connects and changes what /proc shows, and continued afterwards,
/// so the accept, and the old /proc read, come after the change every time. Group 4242 is granted read (admin in
/// the PID test), which nobody (uid 65534) does not have by itself.
@Suite("peer identity comes from the socket", .enabled(if: getuid() == 0, "needs root to drop clients to other uids"))
struct PeerIdentityTests {
    static let grantedGroup: UInt32 = 4242
    static let configuration = #"{"group": "nogroup", "access": {"read": {"groups": ["4242"]}}}"#
    /// nobody may sign (so its refused signature is audited) and read; group 4242 administers.
    static let adminConfiguration = #"{"group": "nogroup", "access": {"sign": {"users": ["nobody"]}, "admin": {"groups": ["4242"]}}}"#

    @Test("a supplementary group the caller had when it connected counts")
    func groupAtConnect() async throws {
        let (daemon, _, _) = try await SecurityLab.daemon(configuration: Self.configuration)
        let member = try SecurityLab.request(as: 65534, gid: 65534, groups: [65534, Self.grantedGroup], socket: daemon.socketPath, path: "/v1/tokens")
        #expect(member.status == 200, "\(member.body)")
        let outsider = try SecurityLab.request(as: 65534, gid: 65534, socket: daemon.socketPath, path: "/v1/tokens")
        #expect(outsider.status == 403, "\(outsider.body)")
        try await daemon.stop()
    }

    @Test("a group joined after connecting does not count, though /proc shows it when kysod accepts")
    func groupJoinedAfterConnect() async throws {
        let (daemon, _, _) = try await SecurityLab.daemon(configuration: Self.configuration)
        let script = #"""
            import os, socket, sys, signal
            path, daemon, granted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            os.kill(daemon, signal.SIGSTOP)
            ready_r, ready_w = os.pipe()
            child = os.fork()
            if child == 0:
                os.setgroups([]); os.setresgid(65534, 65534, 0); os.setresuid(65534, 65534, 0)
                s = socket.socket(socket.AF_UNIX); s.connect(path)
                # The saved uid 0 lets the client be root for a moment: it joins the granted group, then is nobody again.
                os.setresuid(-1, 0, -1); os.setgroups([granted]); os.setresuid(65534, 65534, 0)
                s.sendall(b"GET /v1/tokens HTTP/1.1\r\nHost: kysod\r\nConnection: close\r\n\r\n")
                os.write(ready_w, b"x")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                print(data.split(b"\r\n")[0].decode())
                os._exit(0)
            os.read(ready_r, 1)
            groups = [l for l in open(f"/proc/{child}/status") if l.startswith("Groups:")][0].split()[1:]
            print("proc groups:", " ".join(groups))
            os.kill(daemon, signal.SIGCONT)
            os.waitpid(child, 0)
            """#
        let output = try SecurityLab.python(script, [daemon.socketPath, "\(daemon.pid)", "\(Self.grantedGroup)"])
        print("group joined after connect: \(output)")
        #expect(output.contains("proc groups: \(Self.grantedGroup)"), "the client did not join the group: \(output)")
        #expect(output.contains("HTTP/1.1 403"), "the group joined after connecting was honoured: \(output)")
        try await daemon.stop()
    }

    /// The PID is reused on purpose (root writes /proc/sys/kernel/ns_last_pid before a fork), as the review did.
    @Test("a process on the PID of a caller that exited lends it neither its groups nor its executable")
    func reusedPID() async throws {
        let (daemon, _, client) = try await SecurityLab.daemon(configuration: Self.adminConfiguration)
        let script = #"""
            import os, re, socket, sys, signal, time
            path, daemon, granted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            os.kill(daemon, signal.SIGSTOP)
            try:
                for attempt in range(100):
                    s = socket.socket(socket.AF_UNIX)
                    caller = os.fork()
                    if caller == 0:
                        os.setgroups([]); os.setgid(65534); os.setuid(65534)
                        s.connect(path)
                        os._exit(0)
                    os.waitpid(caller, 0)
                    with open("/proc/sys/kernel/ns_last_pid", "w") as f: f.write(str(caller - 1))
                    holder = os.fork()
                    if holder == 0:
                        os.setgroups([granted]); os.setgid(65534); os.setuid(65534)
                        os.execv("/bin/sleep", ["sleep", "30"])
                    if holder == caller: break
                    os.kill(holder, 9); os.waitpid(holder, 0); s.close()
                else:
                    sys.exit("the PID could not be reused")
                while os.path.basename(os.readlink(f"/proc/{holder}/exe")) != "sleep": time.sleep(0.01)
                print("reused pid", caller, "exe", os.readlink(f"/proc/{holder}/exe"))
            finally:
                os.kill(daemon, signal.SIGCONT)
            body = b'{"certificate": "' + b"ab" * 32 + b'", "data": "aGk="}'
            s.sendall(b"GET /v1/audit HTTP/1.1\r\nHost: kysod\r\n\r\n"
                      + b"POST /v1/tokens/no-such-token/sign HTTP/1.1\r\nHost: kysod\r\nConnection: close\r\n"
                      + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            # Pipelined answers: each body runs straight into the next status line.
            for status in re.findall(rb"HTTP/1\.1 \d{3}", data): print(status.decode())
            os.kill(holder, 9)
            """#
        let output = try SecurityLab.python(script, [daemon.socketPath, "\(daemon.pid)", "\(Self.grantedGroup)"])
        print("reused PID: \(output)")
        let statuses = output.split(separator: "\n").filter { $0.hasPrefix("HTTP/1.1") }
        #expect(statuses.count == 2, "\(output)")
        #expect(statuses.first?.hasPrefix("HTTP/1.1 403") == true, "the reused PID's groups were honoured: \(output)")
        #expect(statuses.last?.hasPrefix("HTTP/1.1 404") == true, "\(output)")
        let pid = try #require(output.split(separator: "\n").first { $0.hasPrefix("reused pid") }?.split(separator: " ").dropFirst(2).first)
        // The refused signature is audited under the caller's uid and PID, without the name of what sits on the PID now.
        let audit = try await client.request(.GET, "/v1/audit?limit=10").decode(AuditResponse.self)
        let record = try #require(audit.entries.first { $0.action == "sign" && $0.pid.map(String.init) == String(pid) }, "\(audit.entries)")
        #expect(record.uid == 65534)
        #expect(record.executable?.hasSuffix("sleep") != true, "the audit names the executable that took the PID: \(record.executable ?? "")")
        try await daemon.stop()
    }
}
