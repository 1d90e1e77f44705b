import Foundation

/// Where kysod finds `kyso-module-host`, and the private folder the hosts' sockets live in.
enum ModuleHostExecutable {
    /// `KYSO_MODULE_HOST`, else beside kysod (a build folder, or one `bin`), else `../libexec/kyso/` from kysod's
    /// folder (`make install`, the Debian package), else `/usr/libexec/kyso/`.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let configured = environment["KYSO_MODULE_HOST"], !configured.isEmpty { return configured }
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let folder = own.deletingLastPathComponent()
        let candidates = [
            folder.appendingPathComponent("kyso-module-host").path,
            folder.deletingLastPathComponent().appendingPathComponent("libexec/kyso/kyso-module-host").path,
            "/usr/libexec/kyso/kyso-module-host",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// kysod's environment less what belongs to kysod alone (systemd's notify and socket variables) and p11-kit's
    /// client address; what a module reads (SOFTHSM2_CONF, OPENSC_CONF, PCSCLITE_CSOCK_NAME, …) stays.
    static func environment(_ own: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let kysodOnly: Set<String> = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
                                      "P11_KIT_SERVER_ADDRESS", "KYSO_MODULE_HOST"]
        var environment = own.filter { !kysodOnly.contains($0.key) }
        // A module that crashes ends its host at once, with the signal kysod reports; Swift's backtracer would hold
        // the dying process (and its card) while it symbolicates.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    /// A new folder only kysod's user can enter (mode 0700, made by mkdtemp so nothing can be planted in it first),
    /// under systemd's RuntimeDirectory when there is one.
    static func makeSocketFolder() throws -> String {
        let base = ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? NSTemporaryDirectory()
        var template = Array((URL(fileURLWithPath: base).appendingPathComponent("kysod-hosts.XXXXXX").path).utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw HostStartError("cannot make a folder for module host sockets under \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}
