import ArgumentParser
import Foundation
import KysoText
import KysoAPI
import KysoBrowser

/// `kyso browser`: the web pages allowed to ask for signatures through the Kyso extension (docs/browser.md).
struct BrowserCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "browser", abstract: tr("browser.abstract"), subcommands: [BrowserOriginsCommand.self])
    }
}

/// `kyso browser origins [list | revoke ORIGIN]`: the origins this user allowed, kept in
/// $XDG_CONFIG_HOME/kyso/browser-origins.json. A revoked origin is asked about again the next time it calls.
struct BrowserOriginsCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "origins", abstract: tr("browser.origins.abstract"), discussion: tr("browser.origins.discussion"))
    }

    @Argument(help: ArgumentHelp(tr("browser.origins.action.help"))) var action: String = "list"
    @Argument(help: ArgumentHelp(tr("browser.origins.origin.help"))) var origin: String?
    @Flag(help: ArgumentHelp(tr("browser.origins.json.help"))) var json = false
    @Option(help: ArgumentHelp(tr("browser.origins.file.help"), valueName: "PATH"))
    var file: String?

    func validate() throws {
        switch action {
        case "list": guard origin == nil else { throw ValidationError(tr("browser.origins.error.listTakesNone")) }
        case "revoke": guard origin != nil else { throw ValidationError(tr("browser.origins.error.revokeNeedsOrigin")) }
        default: throw ValidationError(tr("browser.origins.error.unknownAction", ["action": action]))
        }
    }

    func run() throws {
        let store = RememberedOrigins(path: file)
        // A store failure propagates: ArgumentParser prints it and exits 1.
        if action == "revoke", let origin {
            let parsed: BrowserOrigin
            do { parsed = try BrowserOrigin(origin) } catch { throw ValidationError("\(origin): \(error)") }
            guard try store.revoke(parsed) else { throw ValidationError(tr("browser.origins.error.notRemembered", ["origin": origin])) }
            Output.line(tr("browser.origins.revoked", ["origin": origin]))
            return
        }
        let entries = try store.list()
        if json {
            Output.line(try JSONOutput.string(entries))
        } else if entries.isEmpty {
            Output.line(tr("browser.origins.none"))
        } else {
            for entry in entries {
                Output.line(tr("browser.origins.entry", ["origin": entry.origin.value, "time": tr.dateTime(entry.allowedAt)]))
            }
        }
    }
}
