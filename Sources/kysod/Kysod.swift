import ArgumentParser
import Foundation
import KysoAPI
import KysoDaemon
import KysoStore
import ReaderMonitoring
import Logging
import ServiceLifecycle

/// kysod: keeps the inventory of tokens and serves it on a Unix socket.
@main
struct Kysod: AsyncParsableCommand {
    static let version = KysoVersion.current

    static let configuration = CommandConfiguration(
        commandName: "kysod",
        abstract: "The Kyso daemon: watches tokens and smartcards and serves them to local tools on a Unix socket.",
        discussion: """
            Started by systemd (kysod.socket, kysod.service) it adopts the listening socket (LISTEN_FDS), says \
            READY=1 once the socket listens and the first inventory is complete, and pings the watchdog when \
            WATCHDOG_USEC is set. SIGTERM or SIGINT finishes requests in flight, ends event streams, closes \
            sessions and finalises the modules; SIGHUP drops every cached login. Logs go to stderr; no PIN or \
            secret is ever logged.
            """,
        version: version)

    @Option(help: ArgumentHelp("The API socket. Default: /run/kyso/kysod.sock as root, $XDG_RUNTIME_DIR/kyso/kysod.sock otherwise.", valueName: "PATH"))
    var socket: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where kysod keeps its state.", valueName: "DIR"))
    var stateDirectory: String = "/var/lib/kyso"

    @Option(help: ArgumentHelp("Configuration file (JSON).", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("module"), help: ArgumentHelp("Also load this PKCS#11 module (repeatable).", valueName: "PATH"))
    var modules: [String] = []

    @Flag(name: .customLong("no-registered-modules"), help: "Do not load the modules registered with p11-kit.")
    var noRegisteredModules = false

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Seconds between slot-list polls for modules without slot events (default 2).", valueName: "SECONDS"))
    var pollInterval: Double?

    @Option(name: .customLong("module-isolation"), help: ArgumentHelp(
        "host: each PKCS#11 module runs in a kyso-module-host process that kysod restarts when it crashes or hangs (the default); in-process: modules are loaded into kysod.",
        valueName: "host|in-process"))
    var moduleIsolation: String?

    @Flag(name: .customLong("no-pcsc"), help: "Do not watch PC/SC readers (for machines without pcscd).")
    var noPCSC = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        // Before anything can hold a PIN or a secret: no core file, no ptrace or /proc/PID/mem by the same uid.
        try ProcessHardening.apply()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        var logger = Logger(label: "kysod")
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        logger.logLevel = level

        let file = try config.map { try DaemonConfiguration.load(path: $0) } ?? DaemonConfiguration()
        let settings = try DaemonSettings(
            configuration: file, socketPath: socket, stateDirectory: stateDirectory, extraModules: modules,
            noRegisteredModules: noRegisteredModules, pollIntervalSeconds: pollInterval, watchReaders: !noPCSC,
            moduleIsolation: moduleIsolation)

        // The state directory is checked and locked, and the socket bound, before any service starts: a second
        // kysod, someone else's directory or a path kysod cannot use stops here with a message and exit status 1.
        let claim = try StateDirectoryClaim(settings.stateDirectory)
        let listener = try APIListener.open(settings: settings, logger: logger)

        let readiness = Readiness()
        let inventory = Inventory(eventBufferSize: settings.eventBufferSize, maxSubscribers: settings.maxEventSubscribers)
        let metrics = DaemonMetrics()
        let moduleService = ModuleService(inventory: inventory, settings: settings, readiness: readiness, logger: logger)
        let tokenKeys = TokenKeys(inventory: inventory, modules: moduleService, loginCacheTTL: settings.loginCacheTTL,
                                  deadline: settings.signDeadline, logger: logger)
        let state = URL(fileURLWithPath: settings.stateDirectory)
        let sealer = try HostSealer(stateDirectory: state)
        // Remote signing services' credentials are tokens of their own backend, beside the PKCS#11 tokens.
        let remote = RemoteServices(settings: settings.remoteServices, inventory: inventory, stateDirectory: state, sealer: sealer, logger: logger)
        let signer = Signer(inventory: inventory, backends: [tokenKeys as any KeyBackend] + remote.backends, logger: logger)
        let database = try KysoDatabase(stateDirectory: state, auditRetention: settings.auditRetention)
        let refusals = RefusalLimiter(perMinute: settings.refusalsRecordedPerMinute)
        let signatureAudit = SignatureAuditWriter(database: database, refusals: refusals, logger: logger)
        let accounts = try await AccountService(
            database: database, sealer: sealer, inventory: inventory, signer: signer, refusals: refusals,
            signatureAudit: signatureAudit, rules: settings.bindingRules, logger: logger)
        let api = APIServer(listener: listener, settings: settings, inventory: inventory, signer: signer, accounts: accounts, signatureAudit: signatureAudit, metrics: metrics,
                            readiness: readiness, version: Self.version, logger: logger, remote: remote)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: moduleService),
            .init(service: api),
            .init(service: SystemdService(readiness: readiness, logger: logger)),
            .init(service: HangupService(signer: signer, logger: logger)),
            .init(service: LoginJanitor(signer: signer, inventory: inventory, logger: logger)),
            .init(service: accounts),
            // Last: a graceful shutdown goes in reverse order, so signatures waiting for a holder's approval end
            // before the API waits for its requests in flight.
            .init(service: remote),
        ]
        if settings.watchReaders {
            let monitor = ReaderMonitor(logger: logger)
            services.append(.init(service: monitor))
            services.append(.init(service: ReaderBridge(monitor: monitor, inventory: inventory, moduleService: moduleService, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [.sigquit], logger: logger))
        do {
            try await group.run()
        } catch {
            await signatureAudit.flush()
            throw error
        }
        // The API has answered its last request: the signatures' audit records go to disk before kysod exits.
        await signatureAudit.flush()
        // The lock on the state directory is released only when kysod ends.
        withExtendedLifetime(claim) {}
    }
}
