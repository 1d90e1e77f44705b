import CLinuxProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a module host gives up before any module code runs.
enum HostConfinement {
    static func apply() {
        // Die with kysod: a host left behind would hold its card and its PC/SC context.
        _ = kyso_prctl(PR_SET_PDEATHSIG, UInt(SIGKILL))
        if getppid() == 1 { exit(1) }  // kysod was already gone before the line above took effect
        // No setuid or file-capability gains, no core files with key material, no ptrace by other processes of the user.
        _ = kyso_prctl(PR_SET_NO_NEW_PRIVS, 1)
        _ = kyso_prctl(PR_SET_DUMPABLE, 0)
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &noCore)
        // No network: a module needs pcscd's Unix socket (a path, which works across network namespaces) and USB,
        // nothing else. Takes effect where allowed (root, or kysod's unit with PrivateNetwork); elsewhere the unit's
        // RestrictAddressFamilies already applies to the host, which inherits it.
        _ = kyso_unshare(UInt(CLONE_NEWNET))
        _ = chdir("/")
    }
}
