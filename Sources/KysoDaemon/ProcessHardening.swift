import CLinuxProcess
#if canImport(Glibc)
import Glibc
#endif

/// What kysod does to its own process before it touches a PIN or a secret: no core file (a crash would write the
/// PINs and secrets in memory to disk) and not dumpable (another process of the same uid, such as a vendor
/// module's helper running as `kyso`, cannot ptrace it or read its memory through /proc).
public enum ProcessHardening {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func apply() throws(Failure) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0 else {
            throw Failure(description: "cannot turn core dumps off (setrlimit RLIMIT_CORE 0): \(String(cString: strerror(errno)))")
        }
        guard kyso_prctl(PR_SET_DUMPABLE, 0) == 0 else {
            throw Failure(description: "cannot make kysod undumpable (prctl PR_SET_DUMPABLE 0): \(String(cString: strerror(errno)))")
        }
    }
}
