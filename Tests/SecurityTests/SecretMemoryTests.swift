import Foundation
import KysoAPI
import KysoCore
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, item 12 (the memory part): a PIN lives in kysod as bytes from the JSON decoder to the token and is
/// wiped after. The review found 12 copies of a marked PIN after three signatures; this counts them in kysod's
/// memory (and its module hosts') through /proc/PID/mem, which needs root (kysod is not dumpable).
@Suite("PINs do not linger in kysod's memory (issue 18: 12)", .enabled(if: getuid() == 0, "reading /proc/PID/mem needs root"))
struct SecretMemoryTests {
    /// A PIN no other bytes in kysod would spell.
    static let pin = "7391548260"

    /// Occurrences of `needle` in a process's readable memory, each with whether it sits in a raw HTTP request
    /// (NIO's receive buffer, which kysod does not own: freed after parsing, overwritten when reused).
    static let scan = #"""
        import sys, json
        pid, needle = int(sys.argv[1]), sys.argv[2].encode()
        hits = []
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                parts = line.split()
                if "r" not in parts[1] or (len(parts) > 5 and parts[5].startswith("[v")): continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                try:
                    mem.seek(start); data = mem.read(end - start)
                except OSError:
                    continue
                at = data.find(needle)
                while at >= 0:
                    hits.append(b"HTTP/1.1\r\n" in data[max(0, at - 300):at])
                    at = data.find(needle, at + 1)
        print(json.dumps(hits))
        """#

    static func copies(in pid: Int32) throws -> (raw: Int, other: Int) {
        let output = try Shell.run("python3", ["-c", scan, String(pid), pin])
        let hits = try JSONDecoder().decode([Bool].self, from: output)
        return (hits.filter { $0 }.count, hits.filter { !$0 }.count)
    }

    @Test("12: after three signatures the PIN is nowhere in kysod or its module host but in NIO's freed receive buffers",
          .timeLimit(.minutes(2)))
    func pinAfterSignatures() async throws {
        let lab = try await LabDaemon.start { directory in
            try Shell.run("pkcs11-tool", ["--module", Lab.softHSMModule, "--token-label", "kyso-vnpt", "--login", "--pin", "123456",
                                          "--change-pin", "--new-pin", Self.pin],
                          environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        }
        let (daemon, client) = (lab.daemon, lab.client)
        let token = try #require(try await client.request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens.first { $0.label == "kyso-vnpt" })
        for index in 1...3 {
            let body = String(decoding: try APIJSON.encoder().encode(SignRequest(data: Data("tờ khai \(index)".utf8), pin: SecretBytes(Self.pin))),
                              as: UTF8.self)
            // Head and body in one write, so kysod reads them into one receive buffer: a body read on its own would
            // be a receive buffer the scan could not tell from kysod's own copy.
            let request = "POST /v1/tokens/\(token.id)/sign HTTP/1.1\r\nHost: kysod\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            let answer = try RawSocket.exchange(daemon.socketPath, request)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(300))")
        }
        // Children are listed per thread: the hosts were started from whichever thread watched their module.
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/task")
        let hosts = threads.flatMap { thread in
            ((try? String(contentsOfFile: "/proc/\(daemon.pid)/task/\(thread)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0) }
        }
        #expect(!hosts.isEmpty, "no module host found: SoftHSM should run in one")
        let inKysod = try Self.copies(in: daemon.pid)
        #expect(inKysod.other == 0, "\(inKysod.other) copies of the PIN in kysod's own memory (the review found 12)")
        #expect(inKysod.raw <= 3, "\(inKysod.raw) raw requests with the PIN in NIO's buffers, more than one per request")
        for host in hosts {
            let inHost = try Self.copies(in: host)
            #expect(inHost.raw + inHost.other == 0, "\(inHost) copies of the PIN in module host \(host)")
        }
        print("PIN copies after 3 signatures: kysod \(inKysod.other) of its own, \(inKysod.raw) in NIO receive buffers; hosts \(hosts)")
        #expect(try await daemon.stop() == 0)
    }
}
