import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KysoAPI
import KysoTestSupport
import NIOHTTP1

/// kysod with the fake module and a private copy of the SoftHSM lab (PC/SC off): one token that misbehaves on
/// demand and real tokens beside it, to show the others keep working.
struct FakeRig {
    let daemon: DaemonProcess
    let fake: FakeModule
    let client: KysoClient
    let labDirectory: URL
    let manifest: LabManifest

    /// - Parameter isolation: `host` (kysod's default: each module in a module host) or `in-process`.
    static func start(configuration: String? = nil, pollInterval: String = "0.2", isolation: String = "host",
                      extraModules: [String] = [], environment: [String: String] = [:],
                      before: ((FakeModule) throws -> Void)? = nil) async throws -> FakeRig {
        let (directory, manifest) = try await Lab.copy()
        let fake = try FakeModule(labDirectory: directory)
        try before?(fake)
        let daemon = try await DaemonProcess(
            arguments: ["--no-registered-modules", "--module", try FakeModule.libraryPath, "--module", Lab.softHSMModule,
                        "--no-pcsc", "--poll-interval", pollInterval, "--module-isolation", isolation]
                + extraModules.flatMap { ["--module", $0] },
            configuration: configuration,
            environment: fake.environment.merging(["SOFTHSM2_CONF": directory.appendingPathComponent("softhsm2.conf").path]) { $1 }
                .merging(environment) { $1 })
        return FakeRig(daemon: daemon, fake: fake, client: KysoClient(socketPath: daemon.socketPath), labDirectory: directory,
                       manifest: manifest)
    }

    func token(_ label: String) async throws -> TokenInfoResponse {
        guard let token = try await client.tokens().first(where: { $0.label == label }) else {
            throw TestFailure("no token \(label) in /v1/tokens")
        }
        return token
    }
}

/// One answer of the signing endpoint, with how long it took.
struct SignOutcome: Sendable, CustomStringConvertible {
    let status: Int
    let code: String
    let body: String
    let elapsed: Duration

    var description: String { "HTTP \(status) \(code) after \(elapsed): \(body.prefix(300))" }
}

extension KysoClient {
    func tokens() async throws -> [TokenInfoResponse] {
        try await request(.GET, "/v1/tokens").decode(TokenListResponse.self).tokens
    }

    func status() async throws -> (code: Int, status: StatusResponse?) {
        let response = try await request(.GET, "/v1/status")
        return (response.status, try? response.decode(StatusResponse.self))
    }

    /// Signs a short message with PIN 123456 on `tokenId` and reports the answer (a problem's code, or `ok`).
    func sign(_ tokenId: String, mechanism: SignatureMechanism? = nil) async throws -> SignOutcome {
        let request = SignRequest(data: Data("tờ khai hải quan".utf8), mechanism: mechanism, pin: "123456")
        let start = ContinuousClock.now
        let response = try await self.request(.POST, "/v1/tokens/\(tokenId)/sign", body: Array(try APIJSON.encoder().encode(request)))
        let elapsed = ContinuousClock.now - start
        let code = (try? APIJSON.decoder().decode(ProblemDetails.self, from: Data(response.body)).code) ?? (response.status == 200 ? "ok" : "?")
        return SignOutcome(status: response.status, code: code, body: String(decoding: response.body, as: UTF8.self), elapsed: elapsed)
    }

    /// The next event of one of `types`, skipping others.
    static func next(_ events: inout AsyncThrowingStream<ServerSentEvent, any Error>.AsyncIterator, _ types: Set<String>,
                     timeout: Duration = .seconds(20)) async throws -> DaemonEvent {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let event = try await events.next() else { break }
            if types.contains(event.event) { return try APIJSON.decoder().decode(DaemonEvent.self, from: Data(event.data.utf8)) }
        }
        throw TestFailure("no \(types.sorted()) event within \(timeout)")
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

extension DaemonProcess {
    /// SIGTERM and the exit status; when kysod does not exit within `timeout`, the error carries its threads'
    /// backtraces (gdb, when installed) and its log, then kysod gets SIGKILL.
    @discardableResult
    func stopOrExplain(timeout: Duration = .seconds(15)) async throws -> Int32 {
        if isRunning { kill(pid, SIGTERM) }
        if await eventually(timeout: timeout, every: .milliseconds(20), { !isRunning }) { return terminationStatus }
        var threads = "(gdb not installed)"
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") {
            let output = (try? Shell.run("/usr/bin/gdb", ["-p", String(pid), "-batch", "-ex", "thread apply all bt 12"])) ?? Data()
            threads = String(decoding: output, as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("Thread ") || ($0.hasPrefix("#") && !$0.contains(" in ?? ")) }
                .map { String($0.prefix(220)) }.joined(separator: "\n")
        }
        try await stop(signal: SIGKILL)
        throw TestFailure("kysod did not exit within \(timeout) of SIGTERM. Threads:\n\(threads)\nLog:\n\(log().suffix(1500))")
    }
}
