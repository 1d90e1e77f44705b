import Crypto
import Foundation
import KysoTestSupport
import KysoAPI
import KysoCore

/// Signing on SoftHSM through kysod (POST /v1/tokens/{id}/sign, raw output, keep-alive) against a direct
/// in-process C_Sign loop on the same keys, RSA-2048 and P-256, one token and two in parallel.
struct SigningBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    private struct Algorithm {
        let name: String
        let mechanism: SignatureMechanism
        let labels: [String]
        let ec: Bool
    }

    func run() async throws {
        let report = context.report
        let plan = context.plan
        print("== signing on SoftHSM: kysod against direct C_Sign")
        let algorithms = [
            Algorithm(name: "RSA-2048", mechanism: .rsaPKCS1SHA256, labels: ["kyso-vnpt", "kyso-viettel"], ec: false),
            Algorithm(name: "P-256", mechanism: .ecdsaSHA256, labels: ["kyso-ec-p256", "bench-ec"], ec: true),
        ]
        let conf = try context.lab.variant(labels: algorithms.flatMap(\.labels))
        let digest = Array(SHA256.hash(data: Array("VNACCS declaration 1010 bench".utf8)))
        let direct = try DirectSigner(softhsmConf: conf)
        // kysod logs in per request unless loginCacheSeconds is set: measure both, one daemon each.
        let perRequest = try Daemon(.init(softhsmConf: conf), in: context.work, name: "sign-pin")
        defer { perRequest.stop() }
        let cached = try Daemon(.init(softhsmConf: conf, configuration: #"{"loginCacheSeconds": 3600}"#), in: context.work, name: "sign-cache")
        defer { cached.stop() }
        // The same module loaded into kysod, to price the module host (p11-kit's RPC over a Unix socket per call).
        let inProcess = try Daemon(.init(softhsmConf: conf, configuration: #"{"loginCacheSeconds": 3600, "modules": {"isolation": "in-process"}}"#),
                                   in: context.work, name: "sign-inprocess")
        defer { inProcess.stop() }

        for algorithm in algorithms {
            let tokens = try algorithm.labels.map { try context.lab.token($0) }
            let keys = try tokens.map { try direct.key(serial: $0.serial, objectIDHex: $0.certificates[0].idHex, ec: algorithm.ec, digest: digest) }
            let pin = tokens[0].pin

            // Direct: log in once, sign N times (one thread per token); and log in per signature.
            let direct1 = try direct.run([keys[0]], pin: pin, loginEachTime: false, warmUp: plan.warmUp, seconds: plan.window)
            let direct2 = try direct.run(keys, pin: pin, loginEachTime: false, warmUp: plan.warmUp, seconds: plan.window)
            let directLogin = try direct.run([keys[0]], pin: pin, loginEachTime: true, warmUp: plan.warmUp, seconds: plan.window)

            func requests(_ daemon: Daemon, withPIN: Bool) async throws -> [HTTPLoad.Request] {
                let listed = try await KysoClient(socketPath: daemon.socketPath).request(.GET, "/v1/tokens").decode(TokenListResponse.self)
                return try tokens.map { token in
                    guard let id = listed.tokens.first(where: { $0.serialNumber == token.serial })?.id else {
                        throw TestFailure("kysod does not list token \(token.label)")
                    }
                    let body = SignRequest(digest: Data(digest), mechanism: algorithm.mechanism, output: .raw, pin: withPIN ? SecretBytes(pin) : nil)
                    return HTTPLoad.Request(method: .POST, path: "/v1/tokens/\(id)/sign", body: Array(try JSONEncoder().encode(body)))
                }
            }
            let pinRequests = try await requests(perRequest, withPIN: true)
            // Prime the cache with one signature carrying the PIN; the measured requests carry none.
            let primers = try await requests(cached, withPIN: true)
            for primer in primers {
                let answer = try await KysoClient(socketPath: cached.socketPath).request(.POST, primer.path, body: primer.body)
                _ = try answer.decode(SignResponse.self)
            }
            let cachedRequests = try await requests(cached, withPIN: false)
            for primer in try await requests(inProcess, withPIN: true) {
                _ = try await KysoClient(socketPath: inProcess.socketPath).request(.POST, primer.path, body: primer.body).decode(SignResponse.self)
            }
            let inProcessRequests = try await requests(inProcess, withPIN: false)
            let inProcessLoad = HTTPLoad(socketPath: inProcess.socketPath, group: context.load)
            let cachedLoad = HTTPLoad(socketPath: cached.socketPath, group: context.load)
            let pinLoad = HTTPLoad(socketPath: perRequest.socketPath, group: context.load)
            let daemon1 = try await cachedLoad.run([cachedRequests[0]], connections: 1, warmUp: plan.warmUp, seconds: plan.window)
            let daemon2 = try await cachedLoad.run(cachedRequests, connections: 2, warmUp: plan.warmUp, seconds: plan.window)
            let daemonPIN = try await pinLoad.run([pinRequests[0]], connections: 1, warmUp: plan.warmUp, seconds: plan.window)
            let inProcess1 = try await inProcessLoad.run([inProcessRequests[0]], connections: 1, warmUp: plan.warmUp, seconds: plan.window)

            let overhead = daemon1.p50 - direct1.p50
            let ratio1 = daemon1.requestsPerSecond / direct1.requestsPerSecond
            let ratio2 = daemon2.requestsPerSecond / direct2.requestsPerSecond
            func line(_ outcome: HTTPLoad.Outcome) -> String { "p50 \(us(outcome.p50)), \(rate(outcome.requestsPerSecond))" }
            let section = "signing \(algorithm.name)"
            report.add(section, "\(algorithm.name), 1 token, cached login: overhead per signature over direct C_Sign",
                       kyso: "\(us(overhead)) (kysod \(line(daemon1)))", peers: "direct C_Sign \(line(direct1))",
                       target: "≤ 200 µs", met: overhead <= 200e-6,
                       note: daemon1.failures > 0 ? "\(daemon1.failures) failed requests" : nil,
                       figures: ["overheadUs": overhead * 1e6, "kysodP50Us": daemon1.p50 * 1e6, "directP50Us": direct1.p50 * 1e6,
                                 "kysodPerSecond": daemon1.requestsPerSecond, "directPerSecond": direct1.requestsPerSecond])
            report.add(section, "\(algorithm.name), 1 token, cached login: throughput vs direct",
                       kyso: String(format: "%.0f %%", ratio1 * 100), peers: "direct \(rate(direct1.requestsPerSecond))",
                       target: "≥ 85 %", met: ratio1 >= 0.85, figures: ["ratio": ratio1])
            report.add(section, "\(algorithm.name), 2 tokens in parallel, cached login: throughput vs direct",
                       kyso: String(format: "%.0f %% (kysod %@, p50 %@)", ratio2 * 100, rate(daemon2.requestsPerSecond), us(daemon2.p50)),
                       peers: "direct 2 threads \(rate(direct2.requestsPerSecond)), p50 \(us(direct2.p50))",
                       target: "≥ 85 %", met: ratio2 >= 0.85,
                       note: daemon2.failures > 0 ? "\(daemon2.failures) failed requests" : nil,
                       figures: ["ratio": ratio2, "kysodPerSecond": daemon2.requestsPerSecond, "directPerSecond": direct2.requestsPerSecond,
                                 "kysodP50Us": daemon2.p50 * 1e6, "directP50Us": direct2.p50 * 1e6])
            let isolation = daemon1.p50 - inProcess1.p50
            report.add(section, "\(algorithm.name), 1 token, cached login: module host (isolated) against the same module in-process",
                       kyso: "+\(us(isolation)) (isolated \(line(daemon1)))", peers: "in-process \(line(inProcess1))",
                       target: algorithm.ec ? "" : "≤ 150 µs", met: algorithm.ec ? nil : isolation <= 150e-6,
                       note: "each PKCS#11 call crosses p11-kit's RPC to the kyso-module-host process (C_Sign, and C_SignInit before it)",
                       figures: ["isolationUs": isolation * 1e6, "isolatedP50Us": daemon1.p50 * 1e6, "inProcessP50Us": inProcess1.p50 * 1e6,
                                 "isolatedPerSecond": daemon1.requestsPerSecond, "inProcessPerSecond": inProcess1.requestsPerSecond])
            let pinOverhead = daemonPIN.p50 - directLogin.p50
            report.add(section, "\(algorithm.name), 1 token, PIN each time (kysod default, no login cache)",
                       kyso: "kysod \(line(daemonPIN)); \(us(pinOverhead)) over direct login+sign+logout",
                       peers: "direct login+sign+logout \(line(directLogin)); login once \(line(direct1))",
                       note: "the targets compare the cached login with direct login-once; here every request opens a session, reads the PIN flags, logs in and out" + (daemonPIN.failures > 0 ? "; \(daemonPIN.failures) failed requests" : ""),
                       figures: ["kysodP50Us": daemonPIN.p50 * 1e6, "kysodPerSecond": daemonPIN.requestsPerSecond,
                                 "directLoginEachP50Us": directLogin.p50 * 1e6, "directLoginEachPerSecond": directLogin.requestsPerSecond,
                                 "overheadOverLoginEachUs": pinOverhead * 1e6])
        }
        try await memory(isolated: cached, inProcess: inProcess)
    }
}

extension SigningBench {
    /// Resident memory of kysod with its SoftHSM module in a host, of that host, and of kysod with the module in-process.
    func memory(isolated: Daemon, inProcess: Daemon) async throws {
        let status = try await KysoClient(socketPath: isolated.socketPath).request(.GET, "/v1/status").decode(StatusResponse.self)
        let hostPIDs = status.modules.compactMap { $0.host?.pid }
        let kysod = try isolated.stats().rssKiB
        let hosts = try hostPIDs.map { try ProcStats.read($0).rssKiB }
        let alone = try inProcess.stats().rssKiB
        let total = kysod + hosts.reduce(0, +)
        context.report.add("memory", "Resident memory with SoftHSM (10 tokens) in a module host: kysod, its host, together",
                           kyso: "kysod \(mib(kysod)) + host \(hosts.map(mib).joined(separator: ", ")) = \(mib(total))",
                           peers: "kysod with the module in-process \(mib(alone))",
                           note: "the host is a small Swift program that loads one module; read from /proc/PID/status VmRSS after the signing warm-up",
                           figures: ["kysodKiB": Double(kysod), "hostKiB": Double(hosts.reduce(0, +)), "totalKiB": Double(total),
                                     "inProcessKiB": Double(alone)])
    }
}
