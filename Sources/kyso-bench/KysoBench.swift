import ArgumentParser
import Foundation
import NIOPosix

/// `make bench`: Kyso against the tools people use today and against direct PKCS#11, on a lab it makes itself,
/// every comparison measured side by side in one run. Prints a table and writes the figures as JSON.
@main
struct KysoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyso-bench",
        abstract: "Benchmarks kysod and kyso against p11tool, pkcs11-tool, pcsc_scan-style waiters and direct C_Sign.",
        discussion: "Run it from a release build (make bench). Everything happens in a temporary folder and on this machine's Unix sockets and loopback.")

    @Flag(help: "A shorter run (≈2 minutes): 10 s idle, shorter windows, fewer repetitions, no 100-token start-up.")
    var quick = false

    @Option(help: ArgumentHelp("Where to write the figures as JSON.", valueName: "FILE"))
    var json = "bench-results.json"

    @Option(help: ArgumentHelp("Also write the table as Markdown here.", valueName: "FILE"))
    var markdown: String?

    @Option(name: .customLong("idle-seconds"), help: "How long kysod is watched idle (default 60, 10 with --quick).")
    var idleSeconds: Double?

    @Option(help: "Only these sections (comma-separated): api, memory, signing, remote, listing, startup, cards. Default: all.")
    var only: String?

    @Flag(help: "Keep the temporary folder (labs, daemon logs) for inspection.")
    var keep = false

    @Option(name: .customLong("pull-cycles"), help: "Card insert/pull cycles, the pull 0–2 s after token.inserted (default 200, 36 with --quick).")
    var pullCycles: Int?

    @Option(name: .customLong("card-cycles"), help: "Virtual-card insert/remove cycles in the memory section (default 1000, 50 with --quick; ≈0.8 s each).")
    var cardCycles: Int?

    func run() async throws {
        let began = Date()
        let clockStart = Clock.nanoseconds()
        let sections = Set((only ?? "api,memory,signing,remote,listing,startup,cards").split(separator: ",").map(String.init))
        let plan = BenchPlan(quick: quick, idleSeconds: idleSeconds ?? (quick ? 10 : 60), cardCycles: max(1, cardCycles ?? (quick ? 50 : 1000)),
                             pullCycles: max(1, pullCycles ?? (quick ? 36 : 200)), sections: sections)
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kyso-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: work) } }
        let report = Report()
        let machine = MachineInfo.current()
        print("kyso-bench\(quick ? " --quick" : ""): \(machine.cores) cores, \(machine.cpuModel), \(machine.memoryTotal); work in \(work.path)")

        let labSize = sections.contains("startup") && !quick ? 100 : (sections.contains("listing") ? 50 : 10)
        print("== making the lab (\(labSize) SoftHSM tokens + 1 extra P-256)")
        let lab = try BenchLab(root: work.appendingPathComponent("lab"), totalTokens: labSize)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pcsc = try? PrivatePCSC(in: work.appendingPathComponent("pcsc"), entries: 2)
        if pcsc == nil { print("  (no private pcscd: pcscd or vsmartcard-vpcd missing; kysod runs with --no-pcsc, card cases not measured)") }
        let context = BenchContext(plan: plan, report: report, lab: lab, work: work, load: group, pcsc: pcsc)

        // A section that fails (kysod crashing under load, a tool missing) is reported as such; the others still run.
        func section(_ name: String, _ body: () async throws -> Void) async {
            do { try await body() } catch {
                print("  \(name) FAILED: \(error)")
                report.add(name, "\(name): the section failed", kyso: "failed", target: "completes", met: false,
                           note: String(describing: error).prefix(600).replacingOccurrences(of: "\n", with: " "))
            }
        }
        if sections.contains("memory") {
            await section("memory") { try await APIBench(context).run(memory: true) }
            await section("memory") { try await CardCycleBench(context).run() }
        }
        if sections.contains("api") {
            await section("api") { try await APIBench(context).run(memory: false) }
        }
        if sections.contains("signing") { await section("signing") { try await SigningBench(context).run() } }
        if sections.contains("remote") { await section("remote") { try await RemoteBench(context).run() } }
        if sections.contains("listing") { await section("listing") { try await ListingBench(context).run() } }
        if sections.contains("startup") { await section("startup") { try await StartupBench(context).run() } }
        if sections.contains("cards") {
            await section("cards") { try await CardBench(context).run() }
            await section("cards") { try await PullCycleBench(context).run() }
        }
        pcsc?.stop()
        try await group.shutdownGracefully()

        let output = BenchOutput(
            command: (["kyso-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "), quick: quick, startedAt: began,
            durationSeconds: Double(Clock.nanoseconds() - clockStart) / 1e9, machine: machine, results: report.rows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(output).write(to: URL(fileURLWithPath: json))
        let table = report.markdownTable()
        print("\n== results (\(String(format: "%.0f", output.durationSeconds)) s; machine: \(machine.cores) cores, \(machine.cpuModel), \(machine.memoryTotal), Linux \(machine.kernel), SoftHSM \(machine.softhsm), OpenSC \(machine.opensc))\n")
        print(table)
        let notes = report.notes()
        if !notes.isEmpty { print("\nNotes:\n" + notes) }
        if let markdown { try (table + "\n\nNotes:\n" + notes + "\n").write(toFile: markdown, atomically: true, encoding: .utf8) }
        print("\nfigures written to \(json)")
    }
}

/// How long and how often to measure.
struct BenchPlan: Sendable {
    let quick: Bool
    let idleSeconds: Double
    let cardCycles: Int
    let pullCycles: Int
    let sections: Set<String>
    var warmUp: Double { quick ? 0.3 : 0.5 }
    var window: Double { quick ? 1 : 3 }
    var repetitions: Int { quick ? 3 : 10 }
}

struct BenchContext: Sendable {
    let plan: BenchPlan
    let report: Report
    let lab: BenchLab
    let work: URL
    let load: MultiThreadedEventLoopGroup
    let pcsc: PrivatePCSC?
}

extension BenchContext {
    /// A key and a certificate for a virtual card, from the lab's TEST `provider` CA, written into `directory`.
    func cardIdentity(in directory: URL, name: String = "card", provider: String) throws -> (key: String, certificate: String) {
        let key = directory.appendingPathComponent("\(name).key").path
        let certificate = directory.appendingPathComponent("\(name).der").path
        try capture(repositoryRoot.appendingPathComponent("Tools/vcard/test-identity").path,
                    ["--key", key, "--cert", certificate, "--provider", provider, "--pki-dir", lab.root.appendingPathComponent("master/pki").path],
                    environment: BenchEnvironment.base)
        return (key, certificate)
    }
}
