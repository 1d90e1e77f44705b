import Foundation
import KysoTestSupport
import PKCS11

/// A token lab (see `Tools/kyso-lab`) of SoftHSM2 tokens for in-process PKCS#11 tests.
///
/// SoftHSM reads `SOFTHSM2_CONF` once per `C_Initialize` and p11-kit shares one initialisation per process,
/// so in-process tests take the lab one at a time (`SoftHSMLab.with`). The standard lab is made once per run;
/// each test gets its own copy of the token store, so a test that adds or breaks tokens affects only itself.
struct SoftHSMLab: Sendable {
    static let modulePath = Lab.softHSMModule

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
    static func tool(_ arguments: [String]) throws -> Data { try Lab.tool(arguments) }

    private static func privateCopy() async throws -> SoftHSMLab {
        let (directory, manifest) = try await Lab.copy()
        return SoftHSMLab(directory: directory, manifest: manifest)
    }

    static func readManifest(_ directory: URL) throws -> LabManifest { try Lab.manifest(directory) }
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

