import Foundation

/// Listing tokens and certificates as whole processes: `kyso tokens` (through kysod) against
/// `p11tool --list-all-certs` and a `pkcs11-tool --list-objects --type cert` loop over the slots, as a user
/// would script it. Also used for virtual cards (CardBench) with the OpenSC module.
struct ListingPeers {
    let module: String
    let environment: [String: String]

    /// The p11tool command: `pkcs11:` names every token (without a URL p11tool only lists the tokens and warns).
    var p11tool: (String, [String])? {
        which("p11tool").map { ($0, ["--provider", module, "--list-all-certs", "pkcs11:"]) }
    }

    /// The pkcs11-tool loop as a shell script: list the slots that hold a token, then the certificates slot by slot.
    var pkcs11ToolLoop: (String, [String])? {
        guard let tool = which("pkcs11-tool") else { return nil }
        let script = """
            for slot in $(\(tool) --module \(module) --list-token-slots 2>/dev/null | sed -n 's/^Slot [0-9]* (\\(0x[0-9a-f]*\\)).*/\\1/p'); do
              \(tool) --module \(module) --slot "$slot" --list-objects --type cert
            done
            """
        return ("/bin/sh", ["-c", script])
    }

    /// How many certificates a command lists, and whether it exited 0 (checked once, untimed, so a peer that lists
    /// nothing or fails shows in the table).
    static func certificateCount(_ command: (String, [String]), environment: [String: String], marker: String) -> (count: Int, ok: Bool) {
        guard let (text, status) = try? captureWithStatus(command.0, command.1, environment: environment) else { return (0, false) }
        return (text.components(separatedBy: marker).count - 1, status == 0)
    }

    static func listed(_ result: (count: Int, ok: Bool)) -> String {
        "\(result.count) cert\(result.count == 1 ? "" : "s")\(result.ok ? "" : ", exit ≠ 0")"
    }

    /// Median wall time of `repetitions` whole-process runs (one untimed run first, to warm the page cache).
    static func median(_ command: (String, [String]), environment: [String: String], repetitions: Int) throws -> Double {
        _ = try Child.timed(command.0, command.1, environment: environment)
        var times: [Double] = []
        for _ in 0..<repetitions { times.append(try Child.timed(command.0, command.1, environment: environment).seconds) }
        return Stats.median(times)
    }
}

struct ListingBench {
    let context: BenchContext
    init(_ context: BenchContext) { self.context = context }

    func run() async throws {
        let report = context.report
        let plan = context.plan
        print("== listing tokens on SoftHSM: kyso tokens against p11tool and a pkcs11-tool loop")
        var kysoTimes: [Int: Double] = [:]
        var p11toolTimes: [Int: Double] = [:]
        for count in [1, 10, 50] {
            let conf = try context.lab.variant(count)
            let daemon = try Daemon(.init(softhsmConf: conf), in: context.work, name: "list-\(count)")
            defer { daemon.stop() }
            var environment = BenchEnvironment.base
            environment["SOFTHSM2_CONF"] = conf
            let kyso = (BenchEnvironment.binary("kyso"), ["tokens", "--socket", daemon.socketPath])
            let peers = ListingPeers(module: BenchEnvironment.softHSM, environment: environment)
            let kysoCount = ListingPeers.certificateCount(kyso, environment: environment, marker: "[TEST]")
            let kysoTime = try ListingPeers.median(kyso, environment: environment, repetitions: plan.repetitions)
            kysoTimes[count] = kysoTime
            var peerTexts: [String] = []
            var figures: [String: Double] = ["tokens": Double(count), "kysoMs": kysoTime * 1e3, "kysoCertificates": Double(kysoCount.count)]
            if let p11tool = peers.p11tool {
                let listed = ListingPeers.certificateCount(p11tool, environment: environment, marker: "URL: pkcs11:")
                let time = try ListingPeers.median(p11tool, environment: environment, repetitions: plan.repetitions)
                p11toolTimes[count] = time
                peerTexts.append("p11tool \(ms(time)) (\(ListingPeers.listed(listed)))")
                figures["p11toolMs"] = time * 1e3
                figures["p11toolCertificates"] = Double(listed.count)
            }
            if let loop = peers.pkcs11ToolLoop {
                let listed = ListingPeers.certificateCount(loop, environment: environment, marker: "Certificate Object")
                let time = try ListingPeers.median(loop, environment: environment, repetitions: plan.repetitions)
                peerTexts.append("pkcs11-tool loop \(ms(time)) (\(ListingPeers.listed(listed)))")
                figures["pkcs11ToolLoopMs"] = time * 1e3
                figures["pkcs11ToolLoopCertificates"] = Double(listed.count)
            }
            var target = ""
            var met: Bool?
            if count == 10, let p11 = p11toolTimes[10] {
                target = "≤ ⅓ of p11tool"
                met = kysoTime <= p11 / 3
                figures["ratioToP11tool"] = kysoTime / p11
            }
            report.add("listing SoftHSM", "\(count) token\(count == 1 ? "" : "s"): kyso tokens (median of \(plan.repetitions))",
                       kyso: "\(ms(kysoTime)) (\(ListingPeers.listed(kysoCount)))" + (p11toolTimes[count].map { ", \(times(kysoTime / $0)) p11tool's time" } ?? ""),
                       peers: peerTexts.joined(separator: "; "), target: target, met: met, figures: figures)
        }
        if let one = kysoTimes[1], let fifty = kysoTimes[50] {
            report.add("listing SoftHSM", "kyso tokens, 50 tokens against 1", kyso: times(fifty / one), target: "≤ 1.5×",
                       met: fifty / one <= 1.5, figures: ["ratio": fifty / one])
        }
    }
}
