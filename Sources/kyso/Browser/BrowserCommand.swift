import ArgumentParser
import Foundation
import KysoAPI
import KysoBrowser

/// `kyso browser`: the web pages allowed to ask for signatures through the Kyso extension (docs/browser.md).
struct BrowserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "browser", abstract: "Web pages that may ask your token for signatures (the Kyso browser extension).",
        subcommands: [BrowserOriginsCommand.self])
}

/// `kyso browser origins [list | revoke ORIGIN]`: the origins this user allowed, kept in
/// $XDG_CONFIG_HOME/kyso/browser-origins.json. A revoked origin is asked about again the next time it calls.
struct BrowserOriginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "origins", abstract: "List the web origins you allowed, or revoke one.",
        discussion: """
            An origin is allowed the first time it asks, in Kyso's dialog; it then sees your certificates (holder, tax \
            code, CA) without asking again. Every signature still needs your PIN in Kyso's dialog. \
            Exit status: 0 ok, 1 the file could not be read or written, 64 usage error (not an origin; not remembered).
            """)

    @Argument(help: "list (default), or revoke.") var action: String = "list"
    @Argument(help: "The origin to revoke, as listed (https://host[:port]).") var origin: String?
    @Flag(help: "Print JSON.") var json = false
    @Option(help: ArgumentHelp("The file of remembered origins. Default: $XDG_CONFIG_HOME/kyso/browser-origins.json.", valueName: "PATH"))
    var file: String?

    func validate() throws {
        switch action {
        case "list": guard origin == nil else { throw ValidationError("list takes no origin") }
        case "revoke": guard origin != nil else { throw ValidationError("revoke needs the ORIGIN to revoke") }
        default: throw ValidationError("unknown action \(action): list or revoke")
        }
    }

    func run() throws {
        let store = RememberedOrigins(path: file)
        // A store failure propagates: ArgumentParser prints it and exits 1.
        if action == "revoke", let origin {
            let parsed: BrowserOrigin
            do { parsed = try BrowserOrigin(origin) } catch { throw ValidationError("\(origin): \(error)") }
            guard try store.revoke(parsed) else { throw ValidationError("\(origin) is not remembered (see `kyso browser origins`)") }
            Output.line("Revoked \(origin): it will be asked about again.")
            return
        }
        let entries = try store.list()
        if json {
            Output.line(try JSONOutput.string(entries))
        } else if entries.isEmpty {
            Output.line("No web origin is allowed yet.")
        } else {
            for entry in entries { Output.line("\(entry.origin.value)\tallowed \(entry.allowedAt.formatted(.iso8601))") }
        }
    }
}
