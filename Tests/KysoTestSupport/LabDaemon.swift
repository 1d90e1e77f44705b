public import Foundation
public import KysoAPI

/// A kysod on a private copy of the SoftHSM lab (PC/SC off, the lab's SoftHSM module only, a fast poll): what most
/// daemon tests start with.
public struct LabDaemon: Sendable {
    public let daemon: DaemonProcess
    public let manifest: LabManifest
    public let client: KysoClient
    /// The lab copy (its `softhsm2.conf`, tokens and PKI).
    public let directory: URL

    /// - Parameter prepare: runs on the lab copy before kysod starts (change a token's PIN, add a token).
    public static func start(extraArguments: [String] = [], configuration: String? = nil, pollInterval: String = "0.2",
                             prepare: (URL) throws -> Void = { _ in }) async throws -> LabDaemon {
        let (directory, manifest) = try await Lab.copy()
        try prepare(directory)
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", Lab.softHSMModule, "--no-pcsc", "--poll-interval", pollInterval] + extraArguments,
            configuration: configuration, environment: ["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path])
        return LabDaemon(daemon: daemon, manifest: manifest, client: KysoClient(socketPath: daemon.socketPath), directory: directory)
    }
}
