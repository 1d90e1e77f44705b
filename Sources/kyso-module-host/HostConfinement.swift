import FoundationEssentials
import ProcessConfinement

#if canImport(Glibc)
import Glibc
#endif

/// What a module host gives up before any module code runs.
enum HostConfinement {
    static func apply() {
        // Die with kysod: a host left behind would hold its card and its PC/SC context.
        guard ProcessConfinement.dieWithParent() else { exit(1) }
        // No setuid or file-capability gains, no core files with key material, no ptrace by other processes of the user.
        ProcessConfinement.noNewPrivileges()
        try? ProcessConfinement.protectMemory()
        // No network: a module needs pcscd's Unix socket (a path, which works across network namespaces) and USB,
        // nothing else. Takes effect where allowed (root); under kysod's unit, PrivateNetwork applies already.
        ProcessConfinement.leaveNetwork()
        _ = chdir("/")
    }
}
