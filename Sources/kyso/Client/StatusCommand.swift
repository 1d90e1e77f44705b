import ArgumentParser
import KysoAPI

/// `kyso status`: the daemon's state.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show kysod's version, uptime, PC/SC readers and PKCS#11 modules.",
        discussion: "Exit status: 0 ok, 69 kysod not running, 77 access refused, 1 other errors.")

    @OptionGroup var connection: DaemonConnection
    @Flag(help: "Print the daemon's JSON.") var json = false

    func run() async throws {
        let status: StatusResponse
        do {
            let response = try await connection.client.request(.GET, "/v1/status")
            if json { print(String(decoding: response.body, as: UTF8.self)); return }
            status = try response.decode(StatusResponse.self)
        } catch {
            throw ClientExit.fail(error)
        }
        print("kysod \(status.version), up \(Int(status.uptimeSeconds)) s, \(status.tokenCount) token(s)")
        print("PC/SC: \(status.pcsc.state)\(status.pcsc.error.map { " (\($0))" } ?? "")")
        if let hint = status.pcsc.hint { print("  fix: \(hint)") }
        for reader in status.pcsc.readers {
            print("  - \(reader.name): \(reader.cardPresent ? "card, ATR \(reader.atr ?? "")" : "no card")")
        }
        print("Modules:")
        for module in status.modules {
            let detail = module.state == "loaded" ? "\(module.tokenCount) token(s), \(module.watch)" : "FAILED: \(module.error ?? "")"
            print("  - \(module.name) (\(module.path)): \(detail)")
        }
    }
}
