import ArgumentParser
import Foundation
import TokenScan

/// `kyso doctor`: what to run first when "the token doesn't work". Needs no daemon.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check pcscd, readers, PKCS#11 modules, tokens and their certificates, and explain any problem.",
        discussion: """
            Reads tokens without logging in, so it never spends a PIN try. Exit status: 0 when no error \
            was found, 1 when an error was (problems marked ERROR), 64 on bad usage.
            """)

    @Option(name: .customLong("module"), help: ArgumentHelp("Also load this PKCS#11 module (repeatable).", valueName: "PATH"))
    var modules: [String] = []

    @Flag(name: .customLong("no-registered-modules"), help: "Skip the modules registered with p11-kit.")
    var noRegisteredModules = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(name: .customLong("module-timeout"),
            help: ArgumentHelp("Give up on a module that has not answered after this long (it is reported stuck).", valueName: "SECONDS"))
    var moduleTimeout: Double = 30

    @OptionGroup var connection: DaemonConnection

    func run() async throws {
        let now = Date()
        let modules = self.modules
        let registered = !noRegisteredModules
        guard moduleTimeout > 0, moduleTimeout <= 3600 else { throw ValidationError("--module-timeout must be between 0 and 3600 seconds") }
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
        report.summary = DoctorSummary.line(report)
        if json {
            Output.line(try JSONOutput.string(report))
        } else {
            Output.text(DoctorText.render(report))
        }
        if report.problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
