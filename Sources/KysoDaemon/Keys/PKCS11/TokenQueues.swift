import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One serial queue per physical token, and a deadline on everything queued there.
final class TokenQueues: Sendable {
    private let inventory: Inventory
    private let modules: ModuleService
    private let deadline: Duration
    private let queues = Mutex<[String: DispatchQueue]>([:])

    init(inventory: Inventory, modules: ModuleService, deadline: Duration) {
        self.inventory = inventory
        self.modules = modules
        self.deadline = deadline
    }

    /// Runs `work` on the token's serial queue; whichever comes first answers: the token, or the deadline
    /// (a hung module must not hang the caller; the call stays on that token's queue until the module returns).
    func run<T: Sendable>(_ tokenId: String, _ work: @escaping @Sendable () -> Result<T, OperationFailure>) async -> Result<T, OperationFailure> {
        let deadline = self.deadline
        let queue = queue(for: tokenId)
        // The deadline is a timer on an event loop (the caller's own when it runs on one: no wake-up to arm it),
        // cancelled once the token answers, so finished operations leave no timers waiting out the deadline.
        let timer = Mutex<Scheduled<Void>?>(nil)
        let result = await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (Result<T, OperationFailure>) -> Void = { result in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
            }
            let startedAt = Date()
            queue.async { answer(work()) }
            let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(deadline.nanoseconds))) { [modules] in
                answer(.failure(OperationFailure(
                    .tokenTimeout,
                    "no answer from token \(tokenId) within \(deadline); an isolated module's host is restarted, an in-process module stays busy until it returns")))
                // Then an isolated module's host is killed, which ends the call and frees the token's queue.
                modules.callOverdue(tokenId: tokenId, function: "an operation on the token's key", startedAt: startedAt)
            }
            timer.withLock { $0 = scheduled }
        }
        timer.withLock { $0 }?.cancel()
        return result
    }

    /// The serial queue for a token's operations: one per physical token, not per token id. The same card reached
    /// through two modules (OpenSC and a vendor's, say) has two ids but one PIN counter, so its logins must never
    /// overlap; it is told by its serial number, which both modules read from the card. Two different tokens that
    /// share a serial only wait for each other.
    /// A token id keeps the queue it first got, so work queued after the token went away (logging out its cached
    /// login) still runs behind its operations.
    func queue(for tokenId: String) -> DispatchQueue {
        if let known = queues.withLock({ $0["id:\(tokenId)"] }) { return known }
        let serial = inventory.serialNumber(of: tokenId)?.trimmingCharacters(in: .whitespaces) ?? ""
        let key = serial.isEmpty ? "id:\(tokenId)" : "serial:\(serial)"
        return queues.withLock { queues in
            if let queue = queues["id:\(tokenId)"] ?? queues[key] {
                queues["id:\(tokenId)"] = queue
                return queue
            }
            let queue = DispatchQueue(label: "kyso.token.\(key)")
            queues[key] = queue
            queues["id:\(tokenId)"] = queue
            return queue
        }
    }
}
