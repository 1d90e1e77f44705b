import Foundation
import Testing

/// `make install DESTDIR=…` with this build's debug kyso and kysod (install.sh writes the manual pages and completions
/// from them) and stubs for the rest (KYSO_BINARIES), so the test needs no release build and takes about a second;
/// the release build itself is `make install` without KYSO_BINARIES.
@Suite(.enabled(if: isInstalled("make"), "make is missing"))
struct InstallLayoutTests {
    /// Runs `make install` from the repository root into `destination` with the built kyso and kysod and stub
    /// kyso-module-host and kyso-browser-host.
    static func makeInstall(into destination: URL, scratch: URL, _ extra: [String] = []) throws -> ProcessResult {
        let binaries = scratch.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: binaries, withIntermediateDirectories: true)
        for program in ["kyso", "kysod"] {
            try? FileManager.default.removeItem(at: binaries.appendingPathComponent(program))  // a second install
            try FileManager.default.createSymbolicLink(at: binaries.appendingPathComponent(program),
                                                       withDestinationURL: productsDirectory.appendingPathComponent(program))
        }
        for program in ["kyso-module-host", "kyso-browser-host"] {
            try writeStubExecutable(at: binaries.appendingPathComponent(program))
        }
        return try runProgram(
            "make", ["-s", "install", "DESTDIR=\(destination.path)", "KYSO_BINARIES=\(binaries.path)"] + extra,
            in: repositoryRoot)
    }

    static let expectedLayout: [(path: String, mode: Int)] = [
        ("usr/local/bin/kysod", 0o755),
        ("usr/local/bin/kyso", 0o755),
        ("usr/local/libexec/kyso/kyso-module-host", 0o755),
        ("usr/local/libexec/kyso/kyso-browser-host", 0o755),
        ("etc/chromium/native-messaging-hosts/vn.kyso.browser_host.json", 0o644),
        ("etc/opt/chrome/native-messaging-hosts/vn.kyso.browser_host.json", 0o644),
        ("usr/lib/mozilla/native-messaging-hosts/vn.kyso.browser_host.json", 0o644),
        ("usr/local/share/kyso/browser/kyso-web.js", 0o644),
        ("usr/local/share/kyso/browser/extension/manifest.json", 0o644),
        ("usr/local/lib/systemd/system/kysod.service", 0o644),
        ("usr/local/lib/systemd/system/kysod.socket", 0o644),
        ("usr/local/lib/sysusers.d/kyso.conf", 0o644),
        ("usr/local/lib/tmpfiles.d/kyso.conf", 0o644),
        ("usr/local/lib/udev/rules.d/70-kyso-tokens.rules", 0o644),
        ("etc/kyso", 0o750),
        ("etc/kyso/kysod.json.example", 0o644),
        ("etc/kyso/kysod.json", 0o644),
        ("usr/local/share/doc/kyso/README.md", 0o644),
        // kyso notify's user unit, where systemd --user looks (ManualPageTests checks the pages and completions).
        ("usr/local/lib/systemd/user/kyso-notify.service", 0o644),
        // The PC/SC engineer's rule; polkitd reads it as its own user, hence world-readable.
        ("etc/polkit-1/rules.d/50-kyso-pcscd.rules", 0o644),
    ]

    @Test func installLaysOutEveryFileWithItsMode() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let kysoAccountBefore = getpwnam("kyso") != nil
            let result = try Self.makeInstall(into: destination, scratch: directory)
            #expect(result.status == 0, "\(result.output)")
            for (path, mode) in Self.expectedLayout {
                let file = destination.appendingPathComponent(path)
                #expect(FileManager.default.fileExists(atPath: file.path), "\(path) missing")
                #expect((try? permissions(of: file)) == mode, "\(path) mode")
            }
            // Installed files are the repository's, byte for byte (the units differ only where the prefix
            // is substituted, and with the default prefix not at all).
            for (source, installed) in [
                ("systemd/kysod.service", "usr/local/lib/systemd/system/kysod.service"),
                ("udev/70-kyso-tokens.rules", "usr/local/lib/udev/rules.d/70-kyso-tokens.rules"),
                ("config/kysod.example.json", "etc/kyso/kysod.json.example"),
                ("systemd/polkit/50-kyso-pcscd.rules", "etc/polkit-1/rules.d/50-kyso-pcscd.rules"),
            ] {
                let expected = try repositoryText(source)
                let actual = try String(contentsOf: destination.appendingPathComponent(installed), encoding: .utf8)
                #expect(actual == expected, "\(installed) differs from \(source)")
            }
            // The default configuration kysod.service names exists and is a JSON object.
            let data = try Data(contentsOf: destination.appendingPathComponent("etc/kyso/kysod.json"))
            #expect((try JSONSerialization.jsonObject(with: data)) is [String: Any])
            // A DESTDIR install touches nothing outside DESTDIR: no account appears.
            #expect((getpwnam("kyso") != nil) == kysoAccountBefore)
        }
    }

    @Test func packagePrefixRewritesTheUnitPaths() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let result = try Self.makeInstall(
                into: destination, scratch: directory, ["PREFIX=/usr", "POLKITRULESDIR=/usr/share/polkit-1/rules.d"])
            #expect(result.status == 0, "\(result.output)")
            let service = try String(
                contentsOf: destination.appendingPathComponent("usr/lib/systemd/system/kysod.service"), encoding: .utf8)
            let unit = UnitFile(text: service)
            #expect(unit.value("Service", "ExecStart")?.hasPrefix("/usr/bin/kysod --socket /run/kyso/kysod.sock") == true)
            #expect(!service.contains("/usr/local/"))
            #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("usr/bin/kysod").path))
            #expect(FileManager.default.fileExists(
                atPath: destination.appendingPathComponent("usr/lib/udev/rules.d/70-kyso-tokens.rules").path))
            #expect(FileManager.default.fileExists(
                atPath: destination.appendingPathComponent("usr/share/polkit-1/rules.d/50-kyso-pcscd.rules").path))
            // The browsers start the host by the absolute path their manifests name.
            let host = try String(contentsOf: destination.appendingPathComponent(
                "etc/chromium/native-messaging-hosts/vn.kyso.browser_host.json"), encoding: .utf8)
            #expect(host.contains(#""path": "/usr/libexec/kyso/kyso-browser-host""#), "\(host)")
            #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("usr/local").path))
        }
    }

    @Test func reinstallKeepsTheAdminsConfiguration() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            #expect(try Self.makeInstall(into: destination, scratch: directory).status == 0)
            let config = destination.appendingPathComponent("etc/kyso/kysod.json")
            let edited = "{ \"pollIntervalSeconds\": 5 }\n"
            try edited.write(to: config, atomically: true, encoding: .utf8)
            let again = try Self.makeInstall(into: destination, scratch: directory)
            #expect(again.status == 0, "\(again.output)")
            #expect(try String(contentsOf: config, encoding: .utf8) == edited)
        }
    }

    @Test func missingBinariesStopTheInstall() throws {
        try withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("root")
            let empty = directory.appendingPathComponent("empty")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            let result = try runProgram(
                "make", ["-s", "install", "DESTDIR=\(destination.path)", "KYSO_BINARIES=\(empty.path)"], in: repositoryRoot)
            #expect(result.status != 0)
            #expect(result.standardError.contains("kyso"), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("usr/local/lib").path))
        }
    }
}
