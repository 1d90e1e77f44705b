#if canImport(Glibc)
import Glibc
#endif

/// Picks ports for vpcd entries: each entry needs two free TCP ports (P and P+1) on all interfaces, where vpcd
/// listens for its two readers (`Kyso vpcd P 00 00` and `… 00 01`).
public enum VPCDPorts {
    public static func free(entries: Int = 1) throws -> [UInt16] {
        var chosen: [UInt16] = []
        var candidate = UInt16.random(in: 20_000...50_000) & ~1
        var attempts = 0
        while chosen.count < entries {
            attempts += 1
            guard attempts < 500 else { throw TestFailure("no free TCP port pairs found for vpcd") }
            if isFree(candidate) && isFree(candidate + 1) { chosen.append(candidate) }
            candidate = candidate >= 59_000 ? 20_000 : candidate + 2
        }
        return chosen
    }

    /// The two reader names one vpcd entry gives.
    public static func readerNames(port: UInt16) -> [String] { ["Kyso vpcd \(port) 00 00", "Kyso vpcd \(port) 00 01"] }

    private static func isFree(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
