import ArgumentParser
import Foundation
import KysoText
import KysoCore
#if canImport(Glibc)
import Glibc
#endif

/// The one question on the terminal whose answer is not echoed (a PIN, an access key, a password).
///
/// Echo is turned off for the answer and back on afterwards, also when kyso is interrupted meanwhile: SIGINT,
/// SIGTERM, SIGHUP and SIGQUIT restore the terminal first and then end kyso by the same signal, as they would have
/// (the shell still sees "killed by SIGINT"). Without that, Ctrl-C at the prompt could leave the terminal without
/// echo.
enum TerminalPrompt {
    static func askWithoutEcho(_ prompt: String) throws -> SecretBytes {
        guard tcgetattr(STDIN_FILENO, EchoGuard.saved) == 0 else {
            throw ValidationError(tr("terminal.cannotReadSettings", ["reason": String(cString: strerror(errno))]))
        }
        EchoGuard.arm()
        var silent = EchoGuard.saved.pointee
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        // Asked only once echo is off: whoever (or whatever) answers as soon as the prompt shows is not echoed.
        Output.errorText(prompt)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, EchoGuard.saved)
            EchoGuard.disarm()
            Output.errorText("\n")
        }
        return try line(from: STDIN_FILENO) ?? SecretBytes([])
    }

    /// One line of `fd` as a secret, without its line end (a carriage return too: files written on Windows), or nil
    /// at the end of the stream. Read a byte at a time, so the rest of the stream is left to whoever reads next.
    static func line(from fd: Int32) throws -> SecretBytes? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        defer { byte = 0 }
        var sawAnything = false
        while true {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0 {
                SecretBytes.wipe(&bytes)
                throw ValidationError(tr("terminal.cannotReadFD", ["fd": String(fd), "reason": String(cString: strerror(errno))]))
            }
            if count == 0 || byte == UInt8(ascii: "\n") { break }
            sawAnything = true
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        // `append` may have moved the bytes as the array grew; what is left behind is the allocator's, unreachable.
        return sawAnything || byte == UInt8(ascii: "\n") ? SecretBytes(bytes) : nil
    }
}

/// The terminal settings to restore and the signal handlers that restore them. A signal handler may only touch
/// memory that is already there, hence one fixed allocation rather than a Swift variable.
private enum EchoGuard {
    nonisolated(unsafe) static let saved: UnsafeMutablePointer<termios> = {
        let pointer = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        pointer.initialize(to: termios())
        return pointer
    }()
    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func arm() {
        _ = saved
        for signal in signals { Glibc.signal(signal, restoreAndEnd) }
    }

    static func disarm() {
        for signal in signals { Glibc.signal(signal, SIG_DFL) }
    }
}

/// Restores the saved settings (tcsetattr is async-signal-safe), then lets the signal end kyso as usual.
private let restoreAndEnd: @convention(c) (Int32) -> Void = { signal in
    tcsetattr(STDIN_FILENO, TCSANOW, EchoGuard.saved)
    Glibc.signal(signal, SIG_DFL)
    raise(signal)
}
