public import Logging
public import ServiceLifecycle

/// Tells systemd READY=1 once start-up is complete, pings the watchdog, and says STOPPING=1 on shutdown.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let readiness: Readiness
    let logger: Logger

    public init(notifier: SystemdNotifier = SystemdNotifier(), readiness: Readiness, logger: Logger) {
        self.notifier = notifier
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        // A stop before start-up completes (a service failed, or SIGTERM) ends the wait: never READY=1 then.
        let readiness = self.readiness
        await cancelWhenGracefulShutdown { await readiness.waitUntilReady() }
        if Task.isCancelled || Task.isShuttingDownGracefully { return }
        notifier.notify("READY=1\nSTATUS=ready")
        logger.info("ready")
        let interval = SystemdNotifier.watchdogInterval()
        await withGracefulShutdownHandler {
            guard let interval else {
                try? await gracefulShutdown()
                return
            }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                notifier.notify("WATCHDOG=1")
                try? await Task.sleep(for: interval)
            }
        } onGracefulShutdown: {
            notifier.notify("STOPPING=1")
        }
    }
}
