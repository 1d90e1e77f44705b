import ArgumentParser
import FoundationEssentials
import PKCS11

#if canImport(Glibc)
import Glibc
#endif

/// One PKCS#11 module in a process of its own, so that a module that crashes, hangs or leaks takes only itself down.
/// kysod starts one per module, talks to it through p11-kit's RPC client, and kills and replaces it when a call
/// overruns its deadline or the process dies (docs/module-hosts.md).
@main
struct ModuleHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kyso-module-host",
        abstract: "Run one PKCS#11 module for kysod, in a process kysod can kill and restart.",
        discussion: """
            Started by kysod, not by people. With --module and --socket it loads the module, listens on the socket \
            (mode 0600), prints "ready" on standard output, serves one connection with p11-kit's RPC protocol, and \
            exits when kysod hangs up. The module is initialised with C_Initialize(NULL) and called from one thread \
            only. With --list-registered it prints the modules registered with p11-kit as JSON, without initialising \
            any, so that kysod never loads vendor code itself.

            Exit status: 0 after kysod hung up, 1 when the module or the socket could not be set up.
            """)

    @Option(help: "The PKCS#11 module file to serve.")
    var module: String?

    @Option(help: "The Unix socket to listen on; its directory must be private to this user.")
    var socket: String?

    @Flag(help: "Print the modules registered with p11-kit as JSON and exit.")
    var listRegistered = false

    func run() throws {
        if listRegistered {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            Self.writeOut(Array(try encoder.encode(PKCS11Module.registeredEntries())))
            return
        }
        guard let module, let socket else { throw ValidationError("--module and --socket are required (or --list-registered)") }
        HostConfinement.apply()
        do throws(PKCS11Error) {
            try ModuleHostServer.load(path: module)
        } catch {
            // kysod reads the first line: "ready", or why not.
            Self.writeOut(Array("error: cannot load \(module): \(error)\n".utf8))
            throw HostFailure("cannot load \(module): \(error)")
        }
        let connection = try HostSocket.acceptOne(path: socket) {
            Self.writeOut(Array("ready\n".utf8))
        }
        let status = ModuleHostServer.serve(fd: connection)
        ModuleHostServer.finalizeIfNeeded()
        throw ExitCode(status == 0 ? 0 : 1)
    }
}

extension ModuleHostCommand {
    /// Standard output without Foundation's FileHandle: the host imports only FoundationEssentials, so that each
    /// module host does not map full Foundation and ICU (about 10 MB resident per host).
    static func writeOut(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

struct HostFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "kyso-module-host: " + description }
}
