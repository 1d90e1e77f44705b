import Foundation

/// One line of the results: Kyso's figure, the peers' figures beside it, the target and the verdict.
struct ResultRow: Codable, Sendable {
    enum Verdict: String, Codable, Sendable {
        case met
        case missed
        case notMeasured = "not measured"
        /// A figure shown for context, with no target of its own.
        case info
    }

    var section: String
    var name: String
    var kyso: String
    var peers: String
    var target: String
    var verdict: Verdict
    /// Why a target is missed or not measured, or how the figure was taken.
    var note: String?
    /// The numbers behind the text (µs, ms, requests/s, ratios), for tools reading the JSON.
    var figures: [String: Double]
}

/// Collects rows as the benchmark runs and prints them as they come, then as one table.
final class Report: @unchecked Sendable {
    private(set) var rows: [ResultRow] = []
    private let lock = NSLock()

    func add(_ section: String, _ name: String, kyso: String, peers: String = "", target: String = "",
             met: Bool? = nil, note: String? = nil, figures: [String: Double] = [:]) {
        let verdict: ResultRow.Verdict = target.isEmpty ? .info : (met.map { $0 ? .met : .missed } ?? .notMeasured)
        let row = ResultRow(section: section, name: name, kyso: kyso, peers: peers, target: target, verdict: verdict,
                            note: note, figures: figures.filter { $0.value.isFinite })
        lock.withLock { rows.append(row) }
        let verdictText = row.verdict == .info ? "" : "  [\(row.verdict.rawValue.uppercased())]"
        print("  \(name): \(kyso)\(peers.isEmpty ? "" : "  | peers: \(peers)")\(target.isEmpty ? "" : "  | target \(target)")\(verdictText)\(note.map { "  (\($0))" } ?? "")")
        fflush(nil)
    }

    func notMeasured(_ section: String, _ name: String, target: String, reason: String) {
        add(section, name, kyso: "—", target: target, met: nil, note: reason)
    }

    /// The table as Markdown (also readable in a terminal).
    func markdownTable() -> String {
        var lines = ["| Section | Case | Kyso | Peers | Target | Verdict |", "|---|---|---|---|---|---|"]
        for row in rows {
            let verdict = switch row.verdict {
            case .met: "met"
            case .missed: "**missed**"
            case .notMeasured: "not measured"
            case .info: "—"
            }
            let cells = [row.section, row.name, row.kyso, row.peers.isEmpty ? "—" : row.peers,
                         row.target.isEmpty ? "—" : row.target, verdict]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    func notes() -> String {
        rows.compactMap { row in row.note.map { "- \(row.name): \($0)" } }.joined(separator: "\n")
    }
}

/// The machine the figures come from.
struct MachineInfo: Codable, Sendable {
    var cpuModel: String
    var cores: Int
    var memoryTotal: String
    var kernel: String
    var softhsm: String
    var opensc: String

    static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let totalKiB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Double($0.split(separator: " ")[1]) } ?? 0
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        func version(_ package: String) -> String {
            guard let dpkg = which("dpkg-query"),
                  let text = try? capture(dpkg, ["-W", "-f=${Version}", package]) else { return "unknown" }
            return text
        }
        return MachineInfo(cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount,
                           memoryTotal: String(format: "%.1f GiB", totalKiB / 1024 / 1024), kernel: kernel,
                           softhsm: version("softhsm2"), opensc: version("opensc"))
    }
}

struct BenchOutput: Codable, Sendable {
    var command: String
    var quick: Bool
    var startedAt: Date
    var durationSeconds: Double
    var machine: MachineInfo
    var results: [ResultRow]
}

// MARK: Formatting

func us(_ seconds: Double) -> String { seconds.isFinite ? String(format: "%.0f µs", seconds * 1e6) : "—" }
func ms(_ seconds: Double) -> String { seconds.isFinite ? String(format: seconds < 0.01 ? "%.2f ms" : "%.1f ms", seconds * 1e3) : "—" }
func rate(_ value: Double) -> String { value.isFinite ? String(format: "%.0f/s", value) : "—" }
func times(_ value: Double) -> String { value.isFinite ? String(format: "%.2f×", value) : "—" }
func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
