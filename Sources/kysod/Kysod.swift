import ArgumentParser
import Foundation
import KysoAPI
import KysoDaemon
import KysoStore
import KysoText
import ReaderMonitoring
import Logging
import ServiceLifecycle

/// kysod's --help (and so kysod(8), Tools/man/kyso-man) in the language of LANGUAGE/LC_ALL/LC_MESSAGES/LANG, as kyso
/// chooses it; its logs stay English (they are for the journal and its readers' tools).
let kysodText = Messages.forLanguage(Language.resolve(environment: ProcessInfo.processInfo.environment, override: nil))

/// kysod: keeps the inventory of tokens and serves it on a Unix socket.
@main
struct Kysod: AsyncParsableCommand {
    static let version = KysoVersion.current

    static let configuration = CommandConfiguration(
        commandName: "kysod",
        abstract: kysodText("kysod.abstract"),
        discussion: kysodText("kysod.discussion"),
        version: version)

    @Option(help: ArgumentHelp(kysodText("kysod.socket.help"), valueName: "PATH"))
    var socket: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp(kysodText("kysod.stateDir.help"), valueName: "DIR"))
    var stateDirectory: String = "/var/lib/kyso"

    @Option(help: ArgumentHelp(kysodText("kysod.config.help"), valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("module"), help: ArgumentHelp(kysodText("kysod.module.help"), valueName: "PATH"))
    var modules: [String] = []

    @Flag(name: .customLong("no-registered-modules"), help: ArgumentHelp(kysodText("kysod.noRegisteredModules.help")))
    var noRegisteredModules = false

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp(kysodText("kysod.pollInterval.help"), valueName: "SECONDS"))
    var pollInterval: Double?

    @Option(name: .customLong("module-isolation"), help: ArgumentHelp(kysodText("kysod.moduleIsolation.help"), valueName: "host|in-process"))
    var moduleIsolation: String?

    @Flag(name: .customLong("no-pcsc"), help: ArgumentHelp(kysodText("kysod.noPCSC.help")))
    var noPCSC = false

    @Option(name: .customLong("log-level"), help: ArgumentHelp(kysodText("kysod.logLevel.help")))
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
