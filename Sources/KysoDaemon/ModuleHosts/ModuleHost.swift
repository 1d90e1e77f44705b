import Foundation
import KysoAPI
import PKCS11
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One PKCS#11 module running in a `kyso-module-host` process that kysod starts, watches, kills and replaces,
/// reached through p11-kit's RPC client (`client`, the same `PKCS11Module` object across every host it starts).
///
/// Only the module's watcher starts the host (`spawn`, then `client.initialize()` as a watched call); anyone may
/// kill it (a call past its deadline). However the process ends, `onExit` says so and the watcher starts the next.
final class ModuleHost: Sendable {
    let modulePath: String
    let client: PKCS11Module
    private let executable: String
    private let socketPath: String
    private let environment: [String: String]
    private let state = Mutex(State())

    private struct State {
        var process: Process?
        var serving = false
        /// Why kysod killed each process it killed (by pid), so their ends are not counted as crashes.
        var killReasons: [Int32: String] = [:]
        /// Reasons of hosts killed and reaped, by pid (the last few).
        var reapedKillReasons: [Int32: String] = [:]
        var starts = 0
        var crashes = 0
        var lastExit: String?
        var pid: Int32?
    }

    /// How a host process ended.
    struct Exit: Sendable {
        let description: String
        /// Ended on its own (a crash, an abort, an exit), rather than killed by kysod.
        let crashed: Bool
        /// kysod's reason, when kysod killed it.
        let killReason: String?
        /// The host serving now ended (not one already replaced, whose end the watcher has dealt with).
        let wasCurrent: Bool
    }

    init(modulePath: String, name: String, executable: String, socketPath: String, environment: [String: String]) throws(PKCS11Error) {
        self.modulePath = modulePath
        self.executable = executable
        self.socketPath = socketPath
        self.environment = environment
        client = try PKCS11Module.hostClient(address: "unix:path=" + socketPath, name: name, path: modulePath)
    }

    var isServing: Bool { state.withLock { $0.serving } }

    var status: ModuleHostStatus {
        state.withLock { ModuleHostStatus(pid: $0.serving ? $0.pid : nil, restarts: max(0, $0.starts - 1), crashes: $0.crashes, lastExit: $0.lastExit) }
    }

    /// Starts a host process and waits (blocking, up to `timeout`) until it listens or says why it cannot.
    /// The client is not connected yet: the caller runs `client.initialize()` next.
    func spawn(timeout: Duration, onExit: @escaping @Sendable (Exit) -> Void) throws(HostStartError) {
        client.finalize()  // the previous host's connection, if any
        unlink(socketPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--module", modulePath, "--socket", socketPath]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [self] ended in onExit(exited(ended)) }
        do {
            try process.run()
        } catch {
            throw HostStartError("cannot start \(executable): \(error.localizedDescription)")
        }
        state.withLock { state in
            state.process = process
            state.pid = process.processIdentifier
            state.starts += 1
        }
        let line = Self.firstLine(of: output.fileHandleForReading.fileDescriptor, timeout: timeout)
        try? output.fileHandleForReading.close()
        guard line == "ready" else {
            kill(reason: "it did not start")
            if let line, line.hasPrefix("error: ") { throw HostStartError(String(line.dropFirst("error: ".count))) }
            throw HostStartError(line == nil ? "the module host did not start within \(timeout)" : "the module host ended before listening")
        }
        state.withLock { $0.serving = true }
    }

    /// Why kysod killed the current process, when it did (known before the process is reaped).
    var killReason: String? {
        state.withLock { state in state.pid.flatMap { state.killReasons[$0] ?? state.reapedKillReasons[$0] } }
    }

    /// Connected and initialised: the module answers through this host now.
    func markServing() { state.withLock { $0.serving = true } }

    /// Kills the current host process (SIGKILL): a call into it returns at once with an error, and `onExit` follows.
    func kill(reason: String) {
        let pid: Int32? = state.withLock { state in
            guard let process = state.process, process.isRunning else { return nil }
            if state.killReasons[process.processIdentifier] == nil { state.killReasons[process.processIdentifier] = reason }
            state.serving = false
            return process.processIdentifier
        }
        if let pid { Glibc.kill(pid, SIGKILL) }
    }

    private func exited(_ process: Process) -> Exit {
        let signal = process.terminationReason == .uncaughtSignal
        let description = signal ? "killed by signal \(process.terminationStatus) (\(Self.signalName(process.terminationStatus)))"
            : "exited with status \(process.terminationStatus)"
        return state.withLock { state in
            let reason = state.killReasons.removeValue(forKey: process.processIdentifier)
            // Kept a while for `killReason`: the watcher's failed C_Initialize may ask after the host was reaped (a
            // start killed at its deadline was otherwise reported as the module's own error).
            if let reason {
                if state.reapedKillReasons.count >= 8 { state.reapedKillReasons.removeAll() }
                state.reapedKillReasons[process.processIdentifier] = reason
            }
            let current = state.process === process
            if current {
                state.serving = false
                state.process = nil
            }
            if reason == nil { state.crashes += 1 }
            state.lastExit = reason.map { "killed by kysod: \($0)" } ?? description
            return Exit(description: description, crashed: reason == nil, killReason: reason, wasCurrent: current)
        }
    }

    /// The first line the host writes on standard output, or nil at end of file or after `timeout`.
    private static func firstLine(of fd: Int32, timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while !bytes.contains(UInt8(ascii: "\n")) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, left.nanoseconds / 1_000_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer.prefix(count)
            guard bytes.count < 4096 else { break }
        }
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGBUS: "SIGBUS"
        case SIGILL: "SIGILL"
        case SIGFPE: "SIGFPE"
        default: "signal \(signal)"
        }
    }

    /// At shutdown, after the client was finalised (or left alone because a call is stuck in it): the host exits by
    /// itself once its connection closes; one that does not is killed.
    func stop() {
        kill(reason: "kysod is stopping")
    }
}

struct HostStartError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
