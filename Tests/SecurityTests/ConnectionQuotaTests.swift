import Foundation
import KysoAPI
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Item 7 of the hardening review: a reader holding every connection slot with slow requests locked root out of
/// `/v1/status` and `/v1/audit` (503) for as long as it liked.
@Suite("connection slots per caller", .enabled(if: getuid() == 0, "needs root to run a client as another uid"))
struct ConnectionQuotaTests {
    /// A reader (nobody) opens 40 connections with unfinished requests and holds them; meanwhile root asks for
    /// `/v1/status`; then the reader finishes its requests and counts which were served. Run as root: the
    /// reader is a child that drops to nobody, so the two take turns through a pipe.
    static let script = #"""
        import os, socket, sys, time
        path = sys.argv[1]
        ready_r, ready_w = os.pipe()
        done_r, done_w = os.pipe()
        reader = os.fork()
        if reader == 0:
            os.setgroups([]); os.setgid(65534); os.setuid(65534)
            held = []
            for _ in range(40):
                s = socket.socket(socket.AF_UNIX); s.connect(path)
                s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: kysod\r\nConnection: close\r\n")
                held.append(s)
            time.sleep(2)  # time for kysod to take every connection in before root asks, even on a loaded machine
            os.write(ready_w, b"x"); os.read(done_r, 1)
            served = refused = 0
            for s in held:
                s.sendall(b"\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                served += data.startswith(b"HTTP/1.1 200"); refused += data.startswith(b"HTTP/1.1 503")
            print("reader served", served, "refused", refused, flush=True)
            os._exit(0)
        os.read(ready_r, 1)
        s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: kysod\r\nConnection: close\r\n\r\n")
        answer = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                answer += chunk
        except socket.timeout:
            pass
        print("root", answer.split(b"\r\n")[0].decode(), flush=True)
        os.write(done_w, b"x")
        os.waitpid(reader, 0)
        """#

    func run(limits: String) async throws -> (root: String, readerServed: Int, readerRefused: Int) {
        let (daemon, _, _) = try await SecurityLab.daemon(configuration: """
            {"group": "nogroup", "access": {"read": {"users": ["nobody"]}}, "limits": {\(limits), "headerTimeoutSeconds": 60}}
            """)
        let output = try SecurityLab.python(Self.script, [daemon.socketPath])
        try await daemon.stop()
        let lines = output.split(separator: "\n")
        let root = lines.first { $0.hasPrefix("root") }.map(String.init) ?? output
        let counts = lines.first { $0.hasPrefix("reader") }?.split(separator: " ").compactMap { Int($0) } ?? []
        return (root, counts.first ?? -1, counts.count > 1 ? counts[1] : -1)
    }

    @Test("a reader holding 40 slow connections: it gets its quota of 4, root still gets 200", .timeLimit(.minutes(1)))
    func perUidQuota() async throws {
        let result = try await run(limits: #""maxConnections": 16, "maxConnectionsPerUid": 4"#)
        print("connection quota: \(result)")
        #expect(result.root.contains("HTTP/1.1 200"), "root was locked out: \(result.root)")
        #expect(result.readerServed == 4 && result.readerRefused == 36, "\(result)")
    }

    @Test("readers allowed every slot by uid still leave room for root", .timeLimit(.minutes(1)))
    func reserveForAdmin() async throws {
        let result = try await run(limits: #""maxConnections": 16, "maxConnectionsPerUid": 16"#)
        print("connection reserve: \(result)")
        #expect(result.root.contains("HTTP/1.1 200"), "root was locked out: \(result.root)")
        // 16 slots, 2 kept for signers and admins: the reader gets 14.
        #expect(result.readerServed == 14 && result.readerRefused == 26, "\(result)")
    }
}
