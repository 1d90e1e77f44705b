import Foundation
import KysoAPI
import KysoTestSupport
import NIOHTTP1

/// A kysod on a private copy of the SoftHSM lab, PC/SC off (the reader path has its own tests).
func startDaemonOnLab(extraArguments: [String] = [], configuration: String? = nil) async throws -> (DaemonProcess, LabManifest, KysoClient) {
    let lab = try await LabDaemon.start(extraArguments: extraArguments, configuration: configuration)
    return (lab.daemon, lab.manifest, lab.client)
}

extension KysoClient {
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await request(.GET, path).decode(type)
    }
}

/// Runs `curl --unix-socket` as a user would.
func curl(_ socket: String, _ path: String, _ extra: [String] = []) throws -> (status: Int, body: String) {
    let output = try Shell.run("curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", socket] + extra + ["http://localhost" + path])
    let text = String(decoding: output, as: UTF8.self)
    let split = text.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(split.last ?? "") ?? 0, split.dropLast().joined(separator: "\n"))
}

extension KysoClient.Response {
    /// The problem details of an error answer, or nil.
    func decodeProblem() -> ProblemDetails? {
        try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(body))
    }
}
