import ArgumentParser
import Foundation
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
    static func askWithoutEcho(_ prompt: String) throws -> String {
        Output.errorText(prompt)
        guard tcgetattr(STDIN_FILENO, EchoGuard.saved) == 0 else {
            throw ValidationError("cannot read the terminal's settings: \(String(cString: strerror(errno)))")
        }
        EchoGuard.arm()
        var silent = EchoGuard.saved.pointee
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, EchoGuard.saved)
            EchoGuard.disarm()
            Output.errorText("\n")
        }
        var bytes: [UInt8] = []
        // The answer's bytes are wiped once it is a String (the String itself cannot be).
        defer { for index in bytes.indices { bytes[index] = 0 } }
        var byte: UInt8 = 0
        while Glibc.read(STDIN_FILENO, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        byte = 0
        return text(bytes)
    }

    /// A line's text without a trailing carriage return (files written on Windows).
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes[...], as: UTF8.self)
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
