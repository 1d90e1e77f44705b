import Foundation
@testable import KysoDaemon
import KysoAPI
import Testing

/// The inventory and its event log in process: what clients are told when tokens and modules change.
@Suite("the inventory and its event log")
struct InventoryTests {
    @Test("the log replays what came after an id it still holds, and says nil once that id has left its buffer")
    func replay() {
        var log = EventLog(capacity: 3, maxSubscribers: 2)
        let ids = (0..<5).map { _ in log.publish(.tokenInserted, EventData()).id }
        #expect(log.events(after: ids[2])?.map(\.id) == [ids[3], ids[4]])
        #expect(log.events(after: ids[4])?.isEmpty == true)
        #expect(log.events(after: ids[0]) == nil, "an id older than the buffer must make the client start from a snapshot")
    }

    @Test("the subscriber limit holds for clients, not for kysod's own subscriptions")
    func subscriberLimit() throws {
        var log = EventLog(capacity: 8, maxSubscribers: 1)
        _ = try log.subscribe(initial: [])
        #expect(throws: EventLog.SubscribeError.self) { _ = try log.subscribe(initial: []) }
        _ = try log.subscribe(initial: [], isInternal: true)
    }

    @Test("a module whose listing fails withdraws its tokens (token.removed, then module.failed); a good scan restores them")
    func failingModule() throws {
        let certificate = try FakeCertificate()
        let (inventory, tokenId) = fakeInventory(with: certificate)
        let before = inventory.lastEventID
        let events = inventory.moduleFailing(key: "fake", error: "C_GetSlotList: CKR_DEVICE_ERROR", since: Date())
        #expect(events.map(\.type) == [.tokenRemoved, .moduleFailed])
        #expect(events.first?.data.token?.label == "kyso-fake", "token.removed names the token by its label (issue 13)")
        #expect(inventory.tokens.isEmpty && inventory.status(version: "").modules.first?.state == .failed)
        #expect(inventory.moduleFailing(key: "fake", error: "C_GetSlotList: CKR_DEVICE_ERROR", since: Date()).isEmpty,
                "the same failure is announced once")
        let (again, sameId) = fakeInventory(with: certificate)
        #expect(sameId == tokenId && again.token(id: tokenId) != nil, "token ids are stable across scans")
        #expect(inventory.lastEventID == before + 2)
    }

    @Test("a token gone from a module's scan is removed with its label (issue 13: token.removed named no token)")
    func removedWithLabel() throws {
        let (inventory, tokenId) = fakeInventory(with: try FakeCertificate())
        let removed = inventory.apply(moduleKey: "fake", moduleName: "fake", tokens: [])
        #expect(removed.map(\.type) == [.tokenRemoved])
        #expect(removed.first?.data.tokenId == tokenId && removed.first?.data.token?.label == "kyso-fake")
    }

    @Test("a stuck module is announced once, with its pending call, and recovers on its next scan")
    func stuckModule() throws {
        let (inventory, _) = fakeInventory(with: try FakeCertificate())
        let stuck = inventory.moduleStuck(key: "fake", function: "C_GetSlotList", startedAt: Date() - 30)
        #expect(stuck.map(\.type) == [.tokenRemoved, .moduleStuck])
        #expect(inventory.status(version: "").modules.first?.pendingCall == "C_GetSlotList")
        #expect(inventory.moduleStuck(key: "fake", function: "C_GetSlotList", startedAt: Date() - 31).isEmpty)
        let recovered = inventory.apply(moduleKey: "fake", moduleName: "fake", tokens: [])
        #expect(recovered.map(\.type) == [.moduleRecovered] && inventory.status(version: "").modules.first?.state == .loaded)
    }
}
