public import Logging
public import ServiceLifecycle

/// Drops a token's cached login (its session and the key handles found in it) as soon as the inventory sees
/// the token go, instead of waiting for the module to refuse the dead session on the next signature.
public struct LoginJanitor: Service {
    let signer: Signer
    let inventory: Inventory
    let logger: Logger

    public init(signer: Signer, inventory: Inventory, logger: Logger) {
        self.signer = signer
        self.inventory = inventory
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let subscription = try? inventory.subscribe(lastEventID: inventory.lastEventID, isInternal: true) else { return }
            for await event in subscription.events.cancelOnGracefulShutdown() where event.type == .tokenRemoved {
                guard let tokenId = event.data.tokenId else { continue }
                logger.debug("token removed: cached login dropped", metadata: ["token": "\(tokenId)"])
                signer.dropLogins(tokenId: tokenId)
            }
            inventory.unsubscribe(subscription.id)
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            // Cut off for falling behind, not stopped: a removal may have been missed, so no cached login is trusted.
            logger.warning("token events fell behind: every cached login dropped")
            signer.dropLogins()
        }
    }
}
