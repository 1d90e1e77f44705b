import Foundation
import PKCS11

/// A token lab (see `Tools/kyso-lab`) of SoftHSM2 tokens for in-process PKCS#11 tests.
///
/// SoftHSM reads `SOFTHSM2_CONF` once per `C_Initialize` and p11-kit shares one initialisation per process,
/// so in-process tests take the lab one at a time (`SoftHSMLab.with`). The standard lab is made once per run;
/// each test gets its own copy of the token store, so a test that adds or breaks tokens affects only itself.
struct SoftHSMLab: Sendable {
    static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    static let userPIN = "123456"

    let directory: URL
    let manifest: LabManifest

    var configPath: String { directory.appendingPathComponent("softhsm2.conf").path }

    /// Runs `body` with a private copy of the standard lab and SoftHSM loaded on it.
    static func with<T: Sendable>(_ body: @Sendable (SoftHSMLab, PKCS11Module) async throws -> T) async throws -> T {
        try await LabLease.shared.run {
            let lab = try await privateCopy()
            defer { try? FileManager.default.removeItem(at: lab.directory) }
            setenv("SOFTHSM2_CONF", lab.configPath, 1)
            let module = try PKCS11Module.load(path: modulePath)
            defer { module.finalize() }
            return try await body(lab, module)
        }
    }

    /// The lab tool, run synchronously; its output on failure explains why.
    @discardableResult
    static func tool(_ arguments: [String]) throws -> Data {
        try Shell.run(repositoryRoot.appendingPathComponent("Tools/kyso-lab").path, arguments)
    }

    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// Re-reads the manifest after the lab changed (token added or removed).
    func reloaded() throws -> SoftHSMLab {
        SoftHSMLab(directory: directory, manifest: try Self.readManifest(directory))
    }

    private static func privateCopy() async throws -> SoftHSMLab {
        let template = try await StandardLab.shared.directory()
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-lab-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: template, to: copy)
        // Point the copy's configuration at its own token folder.
        let conf = """
            directories.tokendir = \(copy.appendingPathComponent("tokens").path)
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false

            """
        try conf.write(to: copy.appendingPathComponent("softhsm2.conf"), atomically: true, encoding: .utf8)
        return SoftHSMLab(directory: copy, manifest: try readManifest(copy))
    }

    static func readManifest(_ directory: URL) throws -> LabManifest {
        let output = try tool(["list", directory.path])
        return try JSONDecoder().decode(LabManifest.self, from: output)
    }
}

/// The standard lab, made once per test run.
actor StandardLab {
    static let shared = StandardLab()
    private var made: URL?

    func directory() throws -> URL {
        if let made { return made }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kyso-lab-template-\(UUID().uuidString)")
        try SoftHSMLab.tool(["init", directory.path])
        made = directory
        return directory
    }
}

/// One in-process SoftHSM user at a time.
actor LabLease {
    static let shared = LabLease()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}

/// What `kyso-lab list` prints.
struct LabManifest: Decodable, Sendable {
    struct Token: Decodable, Sendable {
        let label: String
        let serial: String
        let pin: String
        let kind: String
        let provider: String?
        let certificates: [Certificate]
    }
    struct Certificate: Decodable, Sendable {
        let idHex: String
        let label: String
        let subject: String
        let taxCode: String?
        let sha256: String
        let path: String
    }
    let tokens: [Token]
}
