import Foundation
import KysoCore

/// One dialog through a GnuPG pinentry program (pinentry-gnome3, -gtk2, -qt, -curses, -tty), spoken to over the
/// Assuan protocol on its stdin and stdout. The PIN is typed into the pinentry's own window, which the page cannot
/// script or draw over, and comes back on a pipe only this process holds.
///
/// Blocking: each call runs the whole conversation; callers keep it off the cooperative pool (`PinentryDialog`).
public struct Pinentry: Sendable {
    /// The program: `KYSO_PINENTRY`, else `pinentry` (Debian's alternative picks the desktop's variant).
    public let program: String
    /// Seconds the dialog waits for the person (pinentry's SETTIMEOUT), so a forgotten dialog does not hold the
    /// token's request forever.
    public let timeoutSeconds: Int

    public init(program: String? = nil, timeoutSeconds: Int = 120) {
        let configured = program ?? ProcessInfo.processInfo.environment["KYSO_PINENTRY"]
        self.program = (configured?.isEmpty ?? true) ? "pinentry" : configured!
        self.timeoutSeconds = timeoutSeconds
    }

    /// What a dialog shows: every text is escaped before it is sent.
    public struct Texts: Sendable {
        public var title: String
        public var description: String
        public var prompt: String?
        public var ok: String
        public var cancel: String

        public init(title: String, description: String, prompt: String? = nil, ok: String, cancel: String) {
            self.title = title
            self.description = description
            self.prompt = prompt
            self.ok = ok
            self.cancel = cancel
        }
    }

    public enum Answer: Sendable, Equatable {
        case confirmed
        /// The PIN's bytes; the caller wipes them after use.
        case pin([UInt8])
        case cancelled
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The program could not be started, or broke the protocol.
        case unavailable(String)
        public var description: String {
            switch self { case .unavailable(let reason): "no PIN dialog: \(reason)" }
        }
    }

    /// Asks for a yes or no (CONFIRM).
    public func confirm(_ texts: Texts) throws(Failure) -> Answer {
        try converse(texts, final: "CONFIRM")
    }

    /// Asks for the PIN (GETPIN).
    public func pin(_ texts: Texts) throws(Failure) -> Answer {
        try converse(texts, final: "GETPIN")
    }

    private func converse(_ texts: Texts, final: String) throws(Failure) -> Answer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = program.hasPrefix("/") ? [] : [program]
        let toChild = Pipe()
        let fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        // Never our stdout: that is the browser's channel.
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw .unavailable("\(program) did not start: \(error)") }
        let channel = AssuanChannel(write: toChild.fileHandleForWriting, read: fromChild.fileHandleForReading)
        defer {
            channel.send("BYE")
            try? toChild.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        guard case .ok = channel.reply() else { throw .unavailable("\(program) did not greet with OK") }
        var commands = [
            "SETTITLE " + AssuanText.escape(texts.title),
            "SETDESC " + AssuanText.escape(texts.description),
            "SETOK " + AssuanText.escape(texts.ok),
            "SETCANCEL " + AssuanText.escape(texts.cancel),
            "SETTIMEOUT \(timeoutSeconds)",
        ]
        if let prompt = texts.prompt { commands.append("SETPROMPT " + AssuanText.escape(prompt)) }
        for command in commands {
            guard command.utf8.count <= AssuanText.maximumLine else { throw .unavailable("a dialog text is too long for Assuan") }
            channel.send(command)
            switch channel.reply() {
            case .ok: continue
            case .error(let line): throw .unavailable("\(program) refused \(command.prefix(12))…: \(line)")
            case .closed: throw .unavailable("\(program) closed the pipe")
            case .data: throw .unavailable("\(program) sent data out of turn")
            }
        }
        channel.send(final)
        var pin: [UInt8]?
        while true {
            switch channel.reply() {
            case .data(let bytes):
                pin = bytes
            case .ok:
                if final == "GETPIN" { return .pin(pin ?? []) }
                return .confirmed
            case .error:
                // Cancelled, closed, timed out or not confirmed: the person did not say yes.
                if var pin { SecretBytes.wipe(&pin) }
                return .cancelled
            case .closed:
                throw .unavailable("\(program) closed the pipe during the dialog")
            }
        }
    }
}

/// Lines to and from one pinentry. Reads a byte at a time: replies are short and nothing may be read past a line.
final class AssuanChannel {
    enum Reply { case ok, error(String), data([UInt8]), closed }

    private let output: FileHandle
    private let input: FileHandle

    init(write: FileHandle, read: FileHandle) {
        output = write
        input = read
    }

    func send(_ line: String) {
        try? output.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The next reply that matters: `S` status lines and `#` comments are skipped.
    func reply() -> Reply {
        while let line = readLine() {
            if line == Array("OK".utf8) || line.starts(with: Array("OK ".utf8)) { return .ok }
            if line.starts(with: Array("ERR".utf8)) { return .error(String(decoding: line, as: UTF8.self)) }
            if line.starts(with: Array("D ".utf8)) {
                guard let bytes = AssuanText.unescape(line[2...]) else { return .error("malformed D line") }
                return .data(bytes)
            }
        }
        return .closed
    }

    private func readLine() -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            guard let chunk = try? input.read(upToCount: 1), let byte = chunk.first else { return nil }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
            if line.count > 4 * AssuanText.maximumLine { return nil }
        }
    }
}
