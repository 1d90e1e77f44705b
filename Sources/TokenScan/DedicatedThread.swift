import Foundation

/// Runs blocking work (a PKCS#11 or PC/SC call) on a thread of its own and awaits the result, so the
/// cooperative pool never waits on a token. Meant for one-shot commands; long-lived services own their threads.
public func onDedicatedThread<T: Sendable, E: Error>(
    name: String, _ work: @escaping @Sendable () throws(E) -> T
) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        let thread = Thread {
            do throws(E) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
        }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
