import Foundation
import KysoTestSupport

/// The fake PKCS#11 module (fake-pkcs11.c beside this file) for one test: its own certificate, control file and
/// trace file in a folder of its own.
///
/// The library is compiled with `cc -shared` once per test process into a temp folder, not declared as a SwiftPM
/// target: a `.dynamic` library product of a C target under Tests/ is not built by `swift test` on every
/// toolchain, while `cc` and the p11-kit headers are already needed to build the package.
final class FakeModule: @unchecked Sendable {
    let directory: URL
    let certificatePath: String
    let controlPath: String
    let tracePath: String

    /// The compiled module (shared by every test of this process).
    static var libraryPath: String {
        get throws { try built.get() }
    }

    /// A fake token holding a lab certificate (issued by the lab's TEST `provider` CA, with a tax code).
    init(labDirectory: URL, provider: String = "fpt") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-fake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.der").path
        controlPath = directory.appendingPathComponent("control").path
        tracePath = directory.appendingPathComponent("trace").path
        try Shell.run(Lab.repositoryRoot.appendingPathComponent("Tools/vcard/test-identity").path,
                      ["--key", directory.appendingPathComponent("key.pem").path, "--cert", certificatePath,
                       "--provider", provider, "--pki-dir", labDirectory.appendingPathComponent("pki").path])
        _ = FileManager.default.createFile(atPath: tracePath, contents: nil)
    }

    /// What a process loading the module needs in its environment.
    var environment: [String: String] {
        ["FAKE_P11_CERT": certificatePath, "FAKE_P11_CONTROL": controlPath, "FAKE_P11_TRACE": tracePath]
    }

    /// Sets the module's behaviour, e.g. `["sign": "hang"]`; read by the module on its next call.
    func misbehave(_ settings: [String: String]) throws {
        let text = settings.map { "\($0.key)=\($0.value)\n" }.joined()
        try text.write(toFile: controlPath, atomically: true, encoding: .utf8)
    }

    /// How many trace lines equal `line` ("C_Sign enter", "C_GetSlotList").
    func count(_ line: String) -> Int {
        let text = (try? String(contentsOfFile: tracePath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0 == line }.count
    }

    /// Waits until the trace has more than `count` lines equal to `line`.
    func waitFor(_ line: String, moreThan count: Int = 0, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while self.count(line) <= count {
            guard ContinuousClock.now < deadline else { throw TestFailure("the fake module saw no \(line) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Compiles fake-pkcs11.c once per test process (a static let is initialised once, thread-safely).
    private static let built: Result<String, any Error> = Result { try build() }

    private static func build() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-fake-module-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let library = folder.appendingPathComponent("kyso-fake-pkcs11.so").path
        let source = Lab.repositoryRoot.appendingPathComponent("Tests/FaultTests/fake-pkcs11.c").path
        let flags = String(decoding: try Shell.run("pkg-config", ["--cflags", "p11-kit-1"]), as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).map(String.init)
        // `cc` where a C toolchain is installed; otherwise the clang that ships with the Swift toolchain.
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        let compiler = ["cc", "clang", "gcc"].first { name in
            path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        }
        guard let compiler else { throw TestFailure("no C compiler (cc, clang or gcc) on PATH to build the fake PKCS#11 module") }
        try Shell.run(compiler, ["-shared", "-fPIC", "-O1", "-Wall", "-Werror"] + flags + ["-o", library, source])
        return library
    }
}
