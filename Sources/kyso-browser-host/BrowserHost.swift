import Foundation
import KysoAPI
import KysoBrowser
#if canImport(Glibc)
import Glibc
#endif

/// kyso-browser-host: started by Chromium or Firefox for the Kyso extension (native messaging), answers its
/// requests one at a time on stdin and stdout, and exits when the browser closes the pipe.
///
/// Settings come from the environment the browser was started with: `KYSO_SOCKET` (kysod's socket; default
/// as `kyso` finds it) and `KYSO_PINENTRY` (the pinentry program; default `pinentry`).
@main
struct BrowserHost {
    static func main() {
        // A browser that goes away mid-reply must not kill the host with SIGPIPE before it cleans up.
        signal(SIGPIPE, SIG_IGN)
        let handler = HostHandler(client: KysoClient(socketPath: socketPath()), origins: RememberedOrigins(), pinentry: Pinentry())
        while true {
            switch NativeMessaging.read() {
            case .closed:
                exit(0)
            case .tooLarge(let length):
                NativeMessaging.write(HostHandler.encode(HostReply<VersionInfo>(
                    id: nil, ok: false, error: HostError(.messageTooLarge, "a request of \(length) bytes is over the host's \(NativeMessaging.maximumRequest)"))))
                exit(1)
            case .message(let bytes):
                let reply: [UInt8]
                do {
                    let request = try APIJSON.decoder().decode(HostRequest.self, from: Data(bytes))
                    reply = waitFor { await handler.handle(request) }
                } catch {
                    reply = HostHandler.encode(HostReply<VersionInfo>(id: nil, ok: false, error: HostError(.badRequest, "not a request: \(error)")))
                }
                guard NativeMessaging.write(reply) else { exit(0) }
            }
        }
    }

    static func socketPath() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let socket = environment["KYSO_SOCKET"], !socket.isEmpty { return socket }
        if getuid() != 0, let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty,
           FileManager.default.fileExists(atPath: runtime + "/kyso/kysod.sock") {
            return runtime + "/kyso/kysod.sock"
        }
        return "/run/kyso/kysod.sock"
    }

    /// The main thread reads stdin (blocking) and waits here while the request runs on the cooperative pool.
    private static func waitFor(_ work: @escaping @Sendable () async -> [UInt8]) -> [UInt8] {
        let done = DispatchSemaphore(value: 0)
        let box = ReplyBox()
        Task {
            box.bytes = await work()
            done.signal()
        }
        done.wait()
        return box.bytes
    }
}

private final class ReplyBox: @unchecked Sendable {
    // Written by the task before it signals, read by the main thread after the wait: never at once.
    var bytes: [UInt8] = []
}
