import Foundation
import KysoTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about a process: CPU time of all its threads, context switches summed over its threads
/// (/proc/PID/status counts only the thread it names), and resident memory.
struct ProcStats: Sendable {
    var cpuSeconds: Double
    /// Context switches (voluntary + involuntary) per thread id.
    var switchesByThread: [String: Int]
    var rssKiB: Int
    var threads: Int

    static func read(_ pid: pid_t) throws -> ProcStats {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
        guard let close = stat.lastIndex(of: ")") else { throw TestFailure("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks
        var switches: [String: Int] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else { continue }
            switches[task] = field(status, "voluntary_ctxt_switches:") + field(status, "nonvoluntary_ctxt_switches:")
        }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        return ProcStats(cpuSeconds: cpu, switchesByThread: switches,
                         rssKiB: field(status, "VmRSS:"), threads: tasks.count)
    }

    /// Context switches since `earlier`: threads alive at both ends by their difference, new threads in full
    /// (a thread that ended in between takes its count with it, so this can only undercount).
    func switches(since earlier: ProcStats) -> Int {
        switchesByThread.reduce(0) { total, entry in total + entry.value - (earlier.switchesByThread[entry.key] ?? 0) }
    }

    private static func field(_ text: String, _ name: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return Int(line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }
}
