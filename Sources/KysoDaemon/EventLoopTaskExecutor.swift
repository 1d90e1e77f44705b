import NIOCore

/// Runs a connection's task on its channel's event loop instead of the cooperative pool. Reading a request,
/// answering it from memory and writing the answer then happen on one thread: no hop to a pool thread and
/// back per request (two thread wake-ups, the bulk of a status request's latency on a 2-core machine).
/// Work that blocks (every PKCS#11 call) still goes to the token's own queue, never to the event loop.
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
