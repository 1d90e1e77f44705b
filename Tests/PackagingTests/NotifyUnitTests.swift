import Foundation
import Testing

/// kyso-notify.service, the systemd user unit that runs `kyso notify` in a person's session.
struct NotifyUnitTests {
    @Test("the user unit runs kyso notify in the graphical session, keeps its state folder, and is not started by default")
    func unitShape() throws {
        let unit = UnitFile(text: try repositoryText("systemd/kyso-notify.service"))
        #expect(unit.value("Service", "ExecStart") == "/usr/local/bin/kyso notify")
        #expect(unit.value("Service", "StateDirectory") == "kyso")
        #expect(unit.value("Service", "RestartPreventExitStatus") == "77")
        #expect(unit.value("Install", "WantedBy") == "graphical-session.target")
        #expect(unit.value("Unit", "PartOf") == "graphical-session.target")
    }

    @Test("systemd-analyze verify --user accepts the unit without a warning",
          .enabled(if: isInstalled("systemd-analyze"), "systemd-analyze is missing"))
    func verifies() throws {
        try withTemporaryDirectory { directory in
            let stub = directory.appendingPathComponent("kyso")
            try writeStubExecutable(at: stub)
            let unit = directory.appendingPathComponent("kyso-notify.service")
            try repositoryText("systemd/kyso-notify.service").replacingOccurrences(of: "/usr/local/bin/kyso", with: stub.path)
                .write(to: unit, atomically: true, encoding: .utf8)
            // --man=no: Documentation= names man:kyso(1), which is not installed on a build machine.
            let result = try runProgram("systemd-analyze", ["--user", "verify", "--man=no", unit.path], in: directory,
                                        environment: ["XDG_RUNTIME_DIR": directory.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.isEmpty, "systemd-analyze verify warned:\n\(result.output)")
        }
    }

    @Test("make install puts it in the user unit folder with the prefix's kyso, and enables nothing",
          .enabled(if: isInstalled("make"), "make is missing"))
    func installed() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let result = try InstallLayoutTests.makeInstall(into: destination, scratch: directory, ["PREFIX=/usr"])
            #expect(result.status == 0, "\(result.output)")
            let unit = UnitFile(text: try String(contentsOf: destination.appendingPathComponent("usr/lib/systemd/user/kyso-notify.service"),
                                                 encoding: .utf8))
            #expect(unit.value("Service", "ExecStart") == "/usr/bin/kyso notify")
            // No .wants symlink anywhere: enabling is each person's choice.
            let wants = FileManager.default.enumerator(atPath: destination.path)?.compactMap { $0 as? String }
                .filter { $0.contains(".wants") } ?? []
            #expect(wants.isEmpty, "\(wants)")
        }
    }
}
