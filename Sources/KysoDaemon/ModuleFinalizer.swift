import Foundation
import Logging
import Synchronization

/// Finalises modules at shutdown without letting one that hangs hold kysod up.
enum ModuleFinalizer {
    /// How long a watcher's call may take to end after its watcher stopped, before its module is left unfinalised.
    static let callGrace: Duration = .milliseconds(500)
    /// How long all `C_Finalize` calls together may take; systemd's TimeoutStopSec (30 s) also covers the signing
    /// deadline (20 s) spent draining requests before this.
    static let finalizeTimeout: Duration = .seconds(5)

    /// Blocking. Skips `C_Finalize` for a module whose watcher is still inside a call (PKCS#11 forbids finalising
    /// under a running call, and a module stuck in one would block `C_Finalize` forever: OpenSC waits on its own
    /// lock), and stops waiting for the others after `finalizeTimeout`.
    static func finalize(_ watchers: [ModuleWatcher], logger: Logger) {
        let unfinished = Mutex(Set<String>())
        let done = DispatchGroup()
        // An isolated module stuck in a call: killing its host ends the call (and the module with it).
        for watcher in watchers where watcher.callInFlight != nil { watcher.host?.kill(reason: "kysod is stopping") }
        for watcher in watchers {
            let name = watcher.module.name
            if let call = watcher.waitForCallToEnd(timeout: callGrace) {
                logger.warning("not finalising the module: a call into it has not returned",
                               metadata: ["module": "\(name)", "call": "\(call.function)", "since": "\(call.startedAt)"])
                continue
            }
            unfinished.withLock { _ = $0.insert(name) }
            done.enter()
            let thread = Thread {
                watcher.module.finalize()
                watcher.host?.stop()
                unfinished.withLock { _ = $0.remove(name) }
                done.leave()
            }
            thread.name = "kyso-finalize-\(name)"
            thread.start()
        }
        if done.wait(timeout: .now() + .nanoseconds(Int(finalizeTimeout.nanoseconds))) == .timedOut {
            logger.warning("C_Finalize did not return in time; exiting without it",
                           metadata: ["modules": "\(unfinished.withLock { $0.sorted() })", "waited": "\(finalizeTimeout)"])
        }
    }
}
