import Foundation
import KysoTestSupport

/// Runs a blocking call (PKCS#11, PC/SC) on a thread of its own, never on Swift's cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Polls a blocking `probe` (on its own thread) every 20 ms until it returns a value or `timeout` passes.
func poll<T: Sendable>(_ what: String, timeout: Duration = .seconds(10),
                       _ probe: @escaping @Sendable () throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try? await onThread(probe) { return value }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
