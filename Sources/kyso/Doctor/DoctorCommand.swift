import ArgumentParser
import Foundation
import KysoText
import TokenScan

/// `kyso doctor`: what to run first when "the token doesn't work". Needs no daemon.
struct DoctorCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "doctor", abstract: tr("doctor.abstract"), discussion: tr("doctor.discussion"))
    }

    @Option(name: .customLong("module"), help: ArgumentHelp(tr("doctor.module.help"), valueName: "PATH"))
    var modules: [String] = []

    @Flag(name: .customLong("no-registered-modules"), help: ArgumentHelp(tr("doctor.noRegistered.help")))
    var noRegisteredModules = false

    @Flag(help: ArgumentHelp(tr("doctor.json.help")))
    var json = false

    @Option(name: .customLong("module-timeout"),
            help: ArgumentHelp(tr("doctor.moduleTimeout.help"), valueName: "SECONDS"))
    var moduleTimeout: Double = 30

    @OptionGroup var connection: DaemonConnection

    func run() async throws {
        let now = Date()
        let modules = self.modules
        let registered = !noRegisteredModules
        guard moduleTimeout > 0, moduleTimeout <= 3600 else { throw ValidationError(tr("doctor.error.moduleTimeout")) }
        let timeout = Duration.milliseconds(Int64(moduleTimeout * 1000))
        let (daemon, daemonProblems) = await DaemonHealthCheck.run(client: connection.client, socket: connection.resolvedSocket, now: now)
        // PC/SC and PKCS#11 calls block; they run on a thread of their own, never on the cooperative pool.
        var report = await onDedicatedThread(name: "kyso-doctor") { () -> DoctorReport in
            let (pcsc, pcscProblems) = PCSCCheck.run()
            let (moduleSections, moduleProblems) = ModuleChecks.run(extraModules: modules, registered: registered, now: now, timeout: timeout)
            return DoctorReport(pcsc: pcsc, modules: moduleSections, problems: pcscProblems + moduleProblems)
        }
        report.daemon = daemon
        report.problems = (report.problems + daemonProblems).enumerated()
            .sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
        if json {
            Output.line(try JSONOutput.string(report))
        } else {
            Output.text(DoctorText.render(report))
        }
        if report.problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
