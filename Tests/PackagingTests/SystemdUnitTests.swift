import Foundation
import Testing

/// systemd refuses to verify a unit whose ExecStart binary does not exist, and kysod is not installed
/// where the unit points (/usr/local/bin/kysod) on a build machine. So each test copies the units into
/// its own folder with ExecStart pointing at a stub executable named kysod in that folder; the flags
/// stay exactly as shipped.
struct SystemdUnitTests {
    static let expectedExecStart =
        "/usr/local/bin/kysod --socket /run/kyso/kysod.sock --state-dir /var/lib/kyso --config /etc/kyso/kysod.json"

    /// Copies kysod.service and kysod.socket into `directory`, with the service started from a stub.
    static func stageUnits(in directory: URL, serviceText: String? = nil) throws -> (service: URL, socket: URL) {
        let stub = directory.appendingPathComponent("kysod")
        try writeStubExecutable(at: stub)
        let original = try serviceText ?? repositoryText("systemd/kysod.service")
        let service = directory.appendingPathComponent("kysod.service")
        let socket = directory.appendingPathComponent("kysod.socket")
        try original.replacingOccurrences(of: "/usr/local/bin/kysod", with: stub.path)
            .write(to: service, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: repositoryFile("systemd/kysod.socket"), to: socket)
        return (service, socket)
    }

    @Test(.enabled(if: isInstalled("systemd-analyze"), "systemd-analyze is missing"))
    func systemdAnalyzeVerifyAcceptsBothUnitsWithoutWarnings() throws {
        try withTemporaryDirectory { directory in
            let units = try Self.stageUnits(in: directory)
            let result = try runProgram("systemd-analyze", ["verify", units.socket.path, units.service.path], in: directory)
            #expect(result.status == 0, "\(result.output)")
            // verify exits 0 on unknown keys and unparsable values, and only warns: any output is a failure.
            #expect(result.output.isEmpty, "systemd-analyze verify warned:\n\(result.output)")
        }
    }

    /// Proves the check above can fail: the same verify run notices a misspelt directive.
    @Test(.enabled(if: isInstalled("systemd-analyze"), "systemd-analyze is missing"))
    func systemdAnalyzeVerifyReportsAMistake() throws {
        try withTemporaryDirectory { directory in
            let broken = try repositoryText("systemd/kysod.service")
                .replacingOccurrences(of: "ProtectHome=yes", with: "ProtectHomes=yes")
            let units = try Self.stageUnits(in: directory, serviceText: broken)
            let result = try runProgram("systemd-analyze", ["verify", units.socket.path, units.service.path], in: directory)
            #expect(result.output.contains("ProtectHomes"), "\(result.output)")
        }
    }

    @Test(.enabled(if: isInstalled("systemd-analyze"), "systemd-analyze is missing"))
    func securityExposureStaysLow() throws {
        try withTemporaryDirectory { directory in
            let units = try Self.stageUnits(in: directory)
            let result = try runProgram(
                "systemd-analyze", ["security", "--offline=true", "--no-pager", units.service.path], in: directory)
            #expect(result.status == 0, "\(result.output)")
            // "→ Overall exposure level for kysod.service: 1.8 OK"
            let line = result.output.split(separator: "\n").first { $0.contains("Overall exposure level") }
            let figure = line.flatMap { $0.split(separator: ":").last?.split(separator: " ").first }.flatMap { Double($0) }
            let exposure = try #require(figure, "no exposure figure in:\n\(result.output)")
            // 0 is fully locked down, 10 unprotected; systemd calls below 2 "OK". Leave room for a few
            // deliberate exceptions (AF_NETLINK, USB devices, no MemoryDenyWriteExecute) and no more.
            #expect(exposure <= 2.5, "exposure \(exposure)")
        }
    }

    @Test func serviceRunsKysodAsKysoWithNotifyAndWatchdog() throws {
        let unit = UnitFile(text: try repositoryText("systemd/kysod.service"))
        #expect(unit.value("Service", "ExecStart") == Self.expectedExecStart)
        #expect(unit.value("Service", "Type") == "notify")
        #expect(unit.value("Service", "NotifyAccess") == "main")
        #expect(unit.value("Service", "Restart") == "on-failure")
        #expect(unit.value("Service", "WatchdogSec") == "30")
        #expect(unit.value("Service", "User") == "kyso")
        #expect(unit.value("Service", "Group") == "kyso")
        #expect(unit.value("Service", "StateDirectory") == "kyso")
        // /run/kyso stays root's (tmpfiles): only the module hosts' folder is a RuntimeDirectory, handed to kyso.
        #expect(unit.value("Service", "RuntimeDirectory") == "kyso-hosts")
        #expect(unit.value("Service", "RuntimeDirectoryMode") == "0700")
        #expect(unit.value("Service", "ConfigurationDirectory") == "kyso")
        #expect(unit.value("Service", "UMask") == "0077")
        #expect(unit.values("Unit", "Requires").contains("kysod.socket"))
        #expect(unit.values("Unit", "After").contains("kysod.socket"))
        #expect(unit.values("Unit", "Wants").contains("pcscd.socket"))
        #expect(unit.values("Unit", "After").contains("pcscd.socket"))
    }

    @Test func serviceIsHardened() throws {
        let unit = UnitFile(text: try repositoryText("systemd/kysod.service"))
        let required: [(String, String)] = [
            ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
            ("PrivateDevices", "no"), ("CapabilityBoundingSet", ""), ("AmbientCapabilities", ""),
            ("SystemCallFilter", "@system-service"), ("SystemCallArchitectures", "native"),
            ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"), ("ProtectKernelLogs", "yes"),
            ("ProtectControlGroups", "yes"), ("ProtectClock", "yes"), ("ProtectHostname", "yes"),
            ("RestrictNamespaces", "yes"), ("RestrictRealtime", "yes"), ("RestrictSUIDSGID", "yes"),
            ("LockPersonality", "yes"), ("DevicePolicy", "closed"), ("DeviceAllow", "char-usb_device rw"),
        ]
        for (key, expected) in required {
            #expect(unit.value("Service", key) == expected, "\(key)")
        }
        // Only local sockets: no AF_INET/AF_INET6 may ever creep in.
        let families = Set((unit.value("Service", "RestrictAddressFamilies") ?? "").split(separator: " ").map(String.init))
        #expect(families == ["AF_UNIX", "AF_NETLINK"])
    }

    @Test func socketIsGroupReadableOnlyAndHandedToOneDaemon() throws {
        let unit = UnitFile(text: try repositoryText("systemd/kysod.socket"))
        #expect(unit.values("Socket", "ListenStream") == ["/run/kyso/kysod.sock"])
        #expect(unit.value("Socket", "SocketMode") == "0660")
        #expect(unit.value("Socket", "SocketUser") == "kyso")
        #expect(unit.value("Socket", "SocketGroup") == "kyso")
        #expect(unit.value("Socket", "DirectoryMode") == "0750")
        #expect(unit.value("Socket", "Accept") == "no")
        #expect(unit.value("Install", "WantedBy") == "sockets.target")
    }
}
