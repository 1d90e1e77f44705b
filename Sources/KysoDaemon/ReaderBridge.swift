import KysoCore
import KysoAPI
public import Logging
import PCSC
public import ReaderMonitoring
public import ServiceLifecycle

/// Carries the reader monitor's events into the inventory: reader and card events for clients, the reader
/// list for status, and an immediate PKCS#11 rescan so a card's token appears without waiting for a poll.
public struct ReaderBridge: Service {
    let monitor: ReaderMonitor
    let inventory: Inventory
    let moduleService: ModuleService
    let logger: Logger

    public init(monitor: ReaderMonitor, inventory: Inventory, moduleService: ModuleService, logger: Logger) {
        self.monitor = monitor
        self.inventory = inventory
        self.moduleService = moduleService
        self.logger = logger
    }

    /// A module may notice a removal later than pcscd does (OpenSC re-reads reader state on its own schedule, some
    /// 100 ms to 1 s later under load), so a card or reader going away is followed by more rescans, densest at first:
    /// 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2.5 and 4.5 s after it. Each is one C_GetSlotList when nothing differs. Not
    /// after an insertion: an in-process OpenSC 0.23 can deadlock when a card is pulled during C_GetTokenInfo, so Kyso
    /// adds no calls while a new card may be pulled again.
    static let followUps: [Duration] = [.milliseconds(100), .milliseconds(100), .milliseconds(100), .milliseconds(200),
                                        .milliseconds(200), .milliseconds(300), .milliseconds(500), .seconds(1), .seconds(2)]

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for await event in monitor.events.cancelOnGracefulShutdown() {
                handle(event)
                switch event {
                case .cardRemoved, .readerRemoved:
                    let service = moduleService
                    group.addTask {
                        for delay in Self.followUps {
                            try await Task.sleep(for: delay)
                            service.rescanAll()
                        }
                    }
                default:
                    break
                }
            }
        }
    }

    private func handle(_ event: ReaderEvent) {
        switch event {
        case .readerAdded(let reader):
            inventory.publish(.readerAdded, EventData(reader: reader))
            moduleService.rescanAll()
        case .readerRemoved(let reader):
            inventory.publish(.readerRemoved, EventData(reader: reader))
            moduleService.rescanAll()
        case .cardInserted(let reader, let atr):
            inventory.publish(.cardInserted, EventData(reader: reader, atr: Hex.lowercase(atr)))
            moduleService.rescanAll()
        case .cardRemoved(let reader):
            inventory.publish(.cardRemoved, EventData(reader: reader))
            moduleService.rescanAll()
        case .cardStateChanged:
            break
        case .serviceLost(let error):
            logger.warning("pcscd unreachable", metadata: ["error": "\(error)", "hint": "\(error.code.hint ?? "")"])
            inventory.updatePCSC(PCSCStatus(
                state: error.code == .securityViolation ? .refused : .unavailable, error: error.description,
                hint: error.code.hint, readers: []))
            return
        case .serviceRestored:
            logger.info("pcscd reachable")
        }
        inventory.updatePCSC(PCSCStatus(state: .running, readers: monitor.readers.map { reader in
            ReaderInfo(name: reader.reader, cardPresent: reader.cardPresent,
                       atr: reader.cardPresent ? Hex.lowercase(reader.atr) : nil,
                       state: (reader.cardPresent ? ["present"] : ["empty"]) + reader.cardState.words)
        }))
    }
}
