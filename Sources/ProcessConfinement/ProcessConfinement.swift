import CLinuxProcess
#if canImport(Glibc)
import Glibc
#endif

/// What a Kyso process gives up about itself, through the one module that imports the prctl shim: kysod keeps its
/// memory to itself, and each module host also dies with kysod, gains no privileges and leaves the network.
public enum ProcessConfinement {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// No core file (a crash would write the PINs and secrets in memory to disk) and not dumpable (another process of
    /// the same uid cannot ptrace this one or read its memory through /proc): `setrlimit(RLIMIT_CORE, 0)` and
    /// `prctl(PR_SET_DUMPABLE, 0)`.
    public static func protectMemory() throws(Failure) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0 else {
            throw Failure(description: "cannot turn core dumps off (setrlimit RLIMIT_CORE 0): \(String(cString: strerror(errno)))")
        }
        guard kyso_prctl(PR_SET_DUMPABLE, 0) == 0 else {
            throw Failure(description: "cannot make the process undumpable (prctl PR_SET_DUMPABLE 0): \(String(cString: strerror(errno)))")
        }
    }

    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`: killed when the parent goes. False when the parent went before the call took
    /// effect (the process was reparented meanwhile). Compared with the parent seen before, not with pid 1: kysod may
    /// itself be pid 1 in a container.
    public static func dieWithParent() -> Bool {
        let parent = getppid()
        _ = kyso_prctl(PR_SET_PDEATHSIG, UInt(SIGKILL))
        return getppid() == parent
    }

    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: no setuid or file-capability gains from here on, for this process and its children.
    public static func noNewPrivileges() {
        _ = kyso_prctl(PR_SET_NO_NEW_PRIVS, 1)
    }

    /// `unshare(CLONE_NEWNET)`: a network namespace of its own, with no interface. Works where allowed (root); false
    /// elsewhere, where the systemd unit's restrictions apply instead. Path-based Unix sockets (pcscd's) still work.
    @discardableResult
    public static func leaveNetwork() -> Bool {
        kyso_unshare(UInt(CLONE_NEWNET)) == 0
    }
}
