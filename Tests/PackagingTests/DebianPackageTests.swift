import Foundation
import Testing

/// The Debian package (debian/, `make deb`, `make package-test`).
struct DebianPackageTests {
    /// debian/changelog names the package's version; kyso and kysod must say the same (`--version`, from KysoVersion). debian/rules
    /// checks the built binaries too, but only a package build runs it; this catches a bump in one place at once.
    @Test func changelogVersionIsTheBinariesVersion() throws {
        let changelog = try repositoryText("debian/changelog")
        let firstLine = try #require(changelog.split(separator: "\n").first)
        // "kyso (0.1.0) unstable; urgency=medium": a native package, so the version is the upstream one.
        let version = try #require(firstLine.split(separator: "(").dropFirst().first?.split(separator: ")").first.map(String.init))
        #expect(firstLine.hasPrefix("kyso ("))
        // Both programs take their version from one place (KysoVersion), which must be the changelog's.
        #expect(try repositoryText("Sources/KysoAPI/KysoVersion.swift").contains("static let current = \"\(version)\""))
        #expect(try repositoryText("Sources/kysod/Kysod.swift").contains("static let version = KysoVersion.current"))
        #expect(try repositoryText("Sources/kyso/Kyso.swift").contains("version: KysoVersion.current"))
    }

    /// The whole route a Debian admin takes: `make deb` (release build, dpkg-buildpackage, lintian without errors),
    /// then `make package-test` (apt install into a debootstrapped Debian 12, checks, remove, purge). Root, network
    /// and several minutes, so only with KYSO_PACKAGE_TEST=1 (README, "Debian package").
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KYSO_PACKAGE_TEST"] == "1",
                   "set KYSO_PACKAGE_TEST=1 to build the .deb and install it into a debootstrapped Debian 12"),
          .timeLimit(.minutes(60)))
    func packageInstallsRemovesAndPurgesOnDebian12() throws {
        let built = try runProgram("make", ["-s", "deb"], in: repositoryRoot)
        #expect(built.status == 0, "\(built.output.suffix(4000))")
        #expect(built.standardOutput.contains("lintian: no errors"), "\(built.output.suffix(4000))")
        guard built.status == 0 else { return }
        let tested = try runProgram("make", ["-s", "package-test"], in: repositoryRoot)
        #expect(tested.status == 0, "\(tested.output.suffix(6000))")
        #expect(tested.standardOutput.contains("package-test: 0 failure(s)"), "\(tested.output.suffix(6000))")
        #expect(!tested.standardOutput.contains("FAIL:"), "\(tested.standardOutput)")
    }
}
