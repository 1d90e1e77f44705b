import Foundation
import KysoTestSupport
import Testing

/// Issue 18, item 14 (configuration): every number in kysod.json is checked against its range before kysod uses it;
/// a value outside is refused at start with the key's name and the range, exit status 1 (no trap, no daemon that
/// runs with a negative connection limit).
@Suite("Configuration ranges (issue 18: 14)", .timeLimit(.minutes(3)))
struct ConfigValidationTests {
    struct Case: CustomStringConvertible, Sendable {
        let json: String
        /// What the message must say: the key, and the range where there is one.
        let words: [String]
        var description: String { json }
    }

    static let outOfRange: [Case] = [
        Case(json: #"{"limits": {"headerTimeoutSeconds": 1e300}}"#, words: ["limits.headerTimeoutSeconds", "between 0.1 and 3600"]),
        Case(json: #"{"limits": {"headerTimeoutSeconds": 0}}"#, words: ["limits.headerTimeoutSeconds", "between 0.1 and 3600"]),
        Case(json: #"{"limits": {"idleTimeoutSeconds": -1}}"#, words: ["limits.idleTimeoutSeconds", "between 0.1 and 86400"]),
        Case(json: #"{"limits": {"idleTimeoutSeconds": 1e300}}"#, words: ["limits.idleTimeoutSeconds", "between 0.1 and 86400"]),
        Case(json: #"{"limits": {"maxConnections": -5}}"#, words: ["limits.maxConnections", "between 1 and 65536"]),
        Case(json: #"{"limits": {"maxConnections": 0}}"#, words: ["limits.maxConnections", "between 1 and 65536"]),
        Case(json: #"{"limits": {"maxConnections": 1e300}}"#, words: ["limits.maxConnections", "whole number between 1 and 65536"]),
        Case(json: #"{"limits": {"maxBodyBytes": -1}}"#, words: ["limits.maxBodyBytes", "between 1024 and 67108864"]),
        Case(json: #"{"limits": {"maxBodyBytes": 9223372036854775807}}"#, words: ["limits.maxBodyBytes", "between 1024 and 67108864"]),
        Case(json: #"{"limits": {"maxEventSubscribers": 0}}"#, words: ["limits.maxEventSubscribers", "between 1 and 65536"]),
        Case(json: #"{"limits": {"eventBufferSize": -3}}"#, words: ["limits.eventBufferSize", "between 1 and 1000000"]),
        Case(json: #"{"loginCacheSeconds": -1}"#, words: ["loginCacheSeconds", "between 0 and 3600"]),
        Case(json: #"{"loginCacheSeconds": 1e300}"#, words: ["loginCacheSeconds", "between 0 and 3600"]),
        Case(json: #"{"signDeadlineSeconds": 1e300}"#, words: ["signDeadlineSeconds", "between 0.1 and 600"]),
        Case(json: #"{"pollIntervalSeconds": 1e300}"#, words: ["pollIntervalSeconds", "between 0.05 and 3600"]),
        Case(json: #"{"limits": {"maxConnectionsPerUid": 0}}"#, words: ["limits.maxConnectionsPerUid", "between 1 and 65536"]),
        Case(json: #"{"audit": {"maxAgeDays": 0}}"#, words: ["audit.maxAgeDays", "between 1 and 100000000"]),
        Case(json: #"{"audit": {"maxRefusalRecords": -1}}"#, words: ["audit.maxRefusalRecords", "between 1 and 100000000"]),
        Case(json: #"{"audit": {"refusalsRecordedPerMinute": 1e300}}"#,
             words: ["audit.refusalsRecordedPerMinute", "whole number between 1 and 100000000"]),
    ]

    @Test("14: an out-of-range number stops kysod at once with status 1, naming the key and its range", arguments: outOfRange)
    func outOfRangeRefused(_ value: Case) async throws {
        let scratch = try Scratch()
        let configuration = try scratch.file("kysod.json", value.json, mode: 0o644)
        let kysod = try KysodLaunch(["--socket", scratch.path + "/run/kysod.sock", "--state-dir", scratch.path + "/state",
                                     "--config", configuration] + KysodLaunch.quiet)
        let status = try await kysod.exitStatus(within: .seconds(8))
        #expect(status == 1, "kysod \(status.map { "exited \($0)" } ?? "was still running after 8 s") with \(value.json): \(kysod.output)")
        for word in value.words { #expect(kysod.output.contains(word), "no “\(word)” in: \(kysod.output)") }
        #expect(FileFacts(scratch.path + "/run/kysod.sock") == nil, "kysod made its socket before checking its configuration")
    }

    @Test("14: --poll-interval out of range is refused under its own name")
    func pollIntervalFlag() async throws {
        let scratch = try Scratch()
        let kysod = try KysodLaunch(["--socket", scratch.path + "/run/kysod.sock", "--state-dir", scratch.path + "/state",
                                     "--poll-interval", "1e300"] + KysodLaunch.quiet)
        #expect(try await kysod.exitStatus(within: .seconds(8)) == 1, "\(kysod.output)")
        #expect(kysod.output.contains("--poll-interval") && kysod.output.contains("between 0.05 and 3600"), "\(kysod.output)")
    }

    @Test("14: the ends of every range are accepted")
    func rangeEndsAccepted() async throws {
        let configuration = """
            {"loginCacheSeconds": 3600, "signDeadlineSeconds": 0.1, "pollIntervalSeconds": 3600,
             "limits": {"maxBodyBytes": 1024, "maxConnections": 65536, "maxConnectionsPerUid": 1, "maxEventSubscribers": 1,
                        "headerTimeoutSeconds": 3600, "idleTimeoutSeconds": 0.1, "eventBufferSize": 1000000},
             "audit": {"maxAgeDays": 1, "maxOperationRecords": 100000000, "maxRefusalRecords": 1, "maxAdminRecords": 100000000,
                       "refusalsRecordedPerMinute": 1}}
            """
        let daemon = try await DaemonProcess(arguments: KysodLaunch.quiet, configuration: configuration)
        #expect(try await daemon.stop() == 0)
    }
}
