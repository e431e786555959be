import Foundation
import Protocol

/// Runs job submissions (`JobSubmission`) one after another on a thread of their own and hands their
/// outcomes back to the coordinator's loop: `start` is called on the loop, the work runs on the queue, and
/// the loop, woken through `wake` (registered with its poller), collects what finished with `finished()` and
/// answers the clients. So a submit that reads a thousand frames and runs VGG never keeps the loop from
/// answering its workers (issue 16: workers declared the coordinator dead after 3 s of a big submit, and their
/// work was requeued).
final class SubmissionQueue: @unchecked Sendable {
    /// Who asked, so the loop can answer: the client's routing id, its framing, and its request id.
    struct Ticket: Sendable {
        var routingID: Data
        var delimited: Bool
        var requestID: UInt64
    }

    struct Finished: Sendable {
        var ticket: Ticket
        var outcome: Result<JobSubmission.Accepted, any Error>
    }

    /// Readable when a submission has finished; the loop polls it.
    let wake: WakeSignal
    private let queue = DispatchQueue(label: "stylefarm.coordinator.submission")
    private let lock = NSLock()
    private var done: [Finished] = []
    private var running = 0

    init() throws {
        wake = try WakeSignal()
    }

    /// Submissions started and not yet collected by `finished()`.
    var inFlight: Int { lock.withLock { running } }

    /// Runs `submission` for `wire` on the submission thread. Loop thread.
    func start(_ submission: JobSubmission, wire: Stylefarm_V1_JobSpec, ticket: Ticket) {
        lock.withLock { running += 1 }
        queue.async { [self] in
            let outcome = Result { try submission.run(wire) }
            lock.withLock { done.append(Finished(ticket: ticket, outcome: outcome)) }
            wake.signal()
        }
    }

    /// The submissions that finished since the last call, in the order they finished. Loop thread.
    func finished() -> [Finished] {
        wake.drain()
        return lock.withLock {
            defer { running -= done.count; done.removeAll() }
            return done
        }
    }

    /// Waits until every started submission has finished (before the store they write to is closed).
    func waitUntilIdle() {
        queue.sync {}
    }
}
