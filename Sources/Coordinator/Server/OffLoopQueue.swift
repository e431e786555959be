import Foundation
import Protocol

/// Work the coordinator's loop must not wait for, run on a serial thread of its own, with its outcomes
/// handed back to the loop: `start` is called on the loop, the work runs on the queue, and the loop, woken
/// through `wake` (registered with its poller), collects what finished with `finished()` and acts on it
/// (answers the client, sends the chunks). ZeroMQ sockets stay on the loop thread; only plain values cross.
/// The coordinator has seven: job submissions (`JobSubmission`: frame reads, shot cuts, VGG, inserts), blob
/// reads for serving (a file read and hashed in full per request), output writes (a result hashed and
/// written atomically), tile reassembly (`ReassemblyThread`: tiles decoded, frames blended and encoded),
/// input hashing (`InputHashes`), uploads (`UploadStore`: chunks written and hashed, checkouts laid out) and
/// maintenance (job deletions, garbage collection).
final class OffLoopQueue<Outcome: Sendable>: @unchecked Sendable {
    /// Readable when some work has finished; the loop polls it.
    let wake: WakeSignal
    private let queue: DispatchQueue
    private let lock = NSLock()
    private var done: [Outcome] = []
    private var running = 0

    init(label: String) throws {
        wake = try WakeSignal()
        queue = DispatchQueue(label: label)
    }

    /// Work started and not yet collected by `finished()`.
    var inFlight: Int { lock.withLock { running } }

    /// Runs `work` on the queue's thread. Loop thread.
    func start(_ work: @escaping @Sendable () -> Outcome) {
        lock.withLock { running += 1 }
        queue.async { [self] in
            let outcome = work()
            lock.withLock { done.append(outcome) }
            wake.signal()
        }
    }

    /// The outcomes of the work that finished since the last call, in the order it finished. Loop thread.
    func finished() -> [Outcome] {
        wake.drain()
        return lock.withLock {
            defer { running -= done.count; done.removeAll() }
            return done
        }
    }

    /// Waits until all started work has finished (before what it uses, the store, is closed).
    func waitUntilIdle() {
        queue.sync {}
    }
}
