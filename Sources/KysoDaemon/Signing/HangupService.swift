public import Logging
public import ServiceLifecycle
import UnixSignals

/// SIGHUP drops every cached login, as users of gpg-agent and yubikey-agent expect.
public struct HangupService: Service {
    let signer: Signer
    let logger: Logger

    public init(signer: Signer, logger: Logger) {
        self.signer = signer
        self.logger = logger
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.info("SIGHUP: cached logins dropped")
            signer.dropLogins()
        }
    }
}
