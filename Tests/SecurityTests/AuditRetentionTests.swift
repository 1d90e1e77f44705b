import Foundation
import KysoAPI
import KysoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Item 4 of the hardening review: the audit log kept its newest 100 000 records of any kind and recorded every
/// refusal, so 100 000 refused signatures from a signer pushed out every earlier record, root's binds included,
/// without a word. The retention here is small (20 refusals) so that a few hundred requests show the same.
@Suite("a signer cannot erase the audit log", .enabled(if: getuid() == 0, "needs root to run a client as another uid"))
struct AuditRetentionTests {
    @Test("200 refused signatures keep root's bind record, are counted past 30 a minute, and their pruning is logged and shown",
          .timeLimit(.minutes(2)))
    func refusalsDoNotPushOutAdminRecords() async throws {
        let (daemon, manifest, client) = try await SecurityLab.daemon(configuration: """
            {"group": "nogroup", "access": {"sign": {"users": ["nobody"]}},
             "audit": {"maxRefusalRecords": 20, "refusalsRecordedPerMinute": 30}}
            """)
        let bound = try await SecurityLab.bindDeclarant("AUDIT001", client: client, manifest: manifest)
        #expect(bound.status == 201, "\(String(decoding: bound.body, as: UTF8.self))")

        let statuses = try SecurityLab.refusedSignatures(200, socket: daemon.socketPath)
        #expect(statuses.count == 200 && statuses.allSatisfy { $0 == 404 }, "\(Set(statuses))")

        let entries = try await client.request(.GET, "/v1/audit?limit=1000").decode(AuditResponse.self).entries
        #expect(entries.contains { $0.action == "bind" && $0.outcome == "success" && $0.detail == "AUDIT001" },
                "root's bind was pushed out: \(entries.map(\.action))")
        #expect(entries.contains { $0.action == "register" && $0.outcome == "success" }, "the registration was pushed out")
        let refusals = entries.filter { $0.uid == 65534 }
        #expect(refusals.count <= 20, "\(refusals.count) refusal records kept, the retention is 20")
        // 30 recorded one by one, the other 170 counted into one record, written before the log was read.
        let summary = try #require(refusals.first { $0.action == "refusals.counted" }, "no summary of the counted refusals")
        #expect(summary.detail?.hasPrefix("170 more refusals of uid 65534") == true, "\(summary.detail ?? "")")
        #expect(summary.outcome == "refused")

        // Pruning is shown in the status and logged, never silent; only refusals were pruned.
        let status = try await client.request(.GET, "/v1/status").decode(StatusResponse.self)
        let pruned = Dictionary(uniqueKeysWithValues: status.audit.pruned.map { ($0.category, $0.records) })
        #expect(pruned["refusal"] == 11, "30 refusals and a summary in a retention of 20: \(status.audit)")
        #expect(pruned["admin"] == nil && pruned["operation"] == nil, "\(status.audit)")
        #expect(daemon.log().contains("audit records pruned by retention"), "the pruning was not logged")
        try await daemon.stop()
    }
}
