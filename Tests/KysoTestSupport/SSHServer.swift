public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSH server for one test, standing in for a token server reached over SSH: loopback only, a free port, a host
/// key and one client key of its own (in its own folder), logins only as `user` and only with that key, and
/// nothing but Unix-socket forwarding (`restrict,port-forwarding` on the key). Needs root (sshd's privilege
/// separation) and openssh-server (scripts/install-deps).
public final class SSHServer: @unchecked Sendable {
    public static let executable = "/usr/sbin/sshd"
    public static var isAvailable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: executable) }

    public let directory: URL
    public let user: String
    public let port: UInt16
    private let process: SpawnedProcess

    public init(user: String = "nobody") throws {
        self.user = user
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-sshd-\(UUID().uuidString)")
        self.directory = directory
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        // sshd reads authorized_keys as the login user, so that user must be able to reach it.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let port = try Self.freePort()
        self.port = port
        for key in ["host_key", "client_key"] {
            let keygen = try SpawnedProcess("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kyso-test", "-f", path(key)],
                                            logPath: path("ssh-keygen.log"))
            guard keygen.wait() == 0 else { throw TestFailure("ssh-keygen: \(keygen.log())") }
        }
        let clientKey = try String(contentsOfFile: path("client_key.pub"), encoding: .utf8)
        try ("restrict,port-forwarding " + clientKey).write(toFile: path("authorized_keys"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path("authorized_keys"))
        // Privilege separation needs this empty root-owned folder; the package's tmpfiles.d makes it at boot.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])

        // AllowTcpForwarding must allow local forwarding: OpenSSH 9.2 refuses Unix-socket forwarding as well when it
        // is `no` (the session's channel permissions come from it), whatever AllowStreamLocalForwarding says.
        let configuration = """
            ListenAddress 127.0.0.1:\(port)
            HostKey \(path("host_key"))
            AuthorizedKeysFile \(path("authorized_keys"))
            PidFile \(path("sshd.pid"))
            AllowUsers \(user)
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AllowStreamLocalForwarding local
            AllowTcpForwarding local
            X11Forwarding no
            LogLevel VERBOSE

            """
        try configuration.write(toFile: path("sshd_config"), atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: path("host_key.pub"), encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(hostKey)\n".write(toFile: path("known_hosts"), atomically: true, encoding: .utf8)

        process = try SpawnedProcess(Self.executable, ["-D", "-e", "-f", path("sshd_config")], logPath: path("sshd.log"))
        let deadline = Date().addingTimeInterval(10)
        while !self.log().contains("Server listening on 127.0.0.1 port \(port)") {
            guard process.isRunning, Date() < deadline else { throw TestFailure("sshd did not start: \(self.log())") }
            usleep(20_000)
        }
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    public func log() -> String { process.log() }

    /// `ssh -N -L local:remote USER@127.0.0.1`, run as the calling user (a declarant PC's user); returns once the
    /// forwarded socket `local` exists. ssh makes it with StreamLocalBindMask 0177, so only that user can use it.
    public func forward(local: String, remote: String) throws -> SSHForward {
        try SSHForward(arguments: [
            "-N", "-F", "/dev/null", "-p", String(port), "-i", path("client_key"),
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(path("known_hosts"))", "-o", "ExitOnForwardFailure=yes",
            "-o", "StreamLocalBindUnlink=yes", "-L", "\(local):\(remote)", "\(user)@127.0.0.1",
        ], local: local, log: path("ssh-\(UUID().uuidString).log"))
    }

    /// A port nothing listens on now (the kernel's pick for port 0), for sshd to bind a moment later.
    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind 127.0.0.1:0: \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A running `ssh -N -L …`; the forward closes when this is released.
public final class SSHForward: @unchecked Sendable {
    public let local: String
    private let process: SpawnedProcess

    init(arguments: [String], local: String, log logPath: String) throws {
        self.local = local
        process = try SpawnedProcess("/usr/bin/ssh", arguments, logPath: logPath)
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: local) {
            guard process.isRunning, Date() < deadline else { throw TestFailure("ssh -L did not make \(local): \(log())") }
            usleep(20_000)
        }
    }

    public var pid: Int32 { process.pid }
    public func log() -> String { process.log() }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: local)
    }
}
