import Foundation
public import KysoAPI
#if canImport(Glibc)
import Glibc
#endif

extension DaemonProcess {
    /// The next event of one of `types` on `events`, skipping others. If nothing comes within `timeout`, kysod is
    /// killed so the stream ends and the test fails instead of hanging (a module deadlocked on a pulled card would
    /// otherwise leave it waiting for ever).
    public func nextEvent(_ events: inout AsyncThrowingStream<ServerSentEvent, any Error>.AsyncIterator, _ types: Set<String>,
                          timeout: Duration = .seconds(20)) async throws -> DaemonEvent {
        let pid = self.pid
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        while let event = try await events.next() {
            if types.contains(event.event) { return try APIJSON.decoder().decode(DaemonEvent.self, from: Data(event.data.utf8)) }
        }
        throw TestFailure("no \(types.sorted()) event within \(timeout)")
    }
}
