import Foundation
import Protocol

/// The only way executor threads talk to the loop thread: a locked FIFO the loop drains between polls.
/// Only the loop thread touches the socket; executor threads post here (and block on `BlobWaiter`s).
final class WorkerInbox: @unchecked Sendable {
    enum Event {
        case finished(taskID: String, report: Stylefarm_V1_WorkerMessage, outputHash: String?)
        case progress(Stylefarm_V1_Progress)
        case needBlob(String)
    }

    private let lock = NSLock()
    private var events: [Event] = []
    /// Wakes the loop thread out of its poll when an event is posted.
    let wake: WakeSignal?

    init(wake: WakeSignal? = nil) { self.wake = wake }

    func post(_ event: Event) {
        lock.withLock { events.append(event) }
        wake?.signal()
    }

    func drain() -> [Event] {
        lock.withLock {
            let e = events
            events.removeAll()
            return e
        }
    }
}

/// Executor threads waiting for input blobs the loop is fetching. `wait` returns true when the blob is
/// in the cache, false on `not_found`, a hash mismatch or the timeout.
final class BlobWaiters: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcomes: [String: Bool] = [:]   // hash → arrived (true) / failed (false)
    private var generation: [String: Int] = [:]

    /// Forgets an earlier outcome of `hash` so a new request can be waited for.
    func reset(_ hash: String) -> Int {
        condition.lock()
        defer { condition.unlock() }
        outcomes[hash] = nil
        generation[hash, default: 0] += 1
        return generation[hash]!
    }

    func resolve(_ hash: String, arrived: Bool) {
        condition.lock()
        outcomes[hash] = arrived
        condition.broadcast()
        condition.unlock()
    }

    func wait(_ hash: String, until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while outcomes[hash] == nil {
            if !condition.wait(until: deadline) { return outcomes[hash] ?? false }
        }
        return outcomes[hash]!
    }
}

/// A `BlobSource` for the executor: the cache, else ask the loop to fetch the blob from the coordinator
/// (BlobRequest → BlobData chunks → SHA-256 verified by `BlobCache.put(expecting:)`) and block this
/// executor thread until it arrives or `timeout` passes (then `BlobStoreError.missing`, which the
/// executor reports as a retryable MISSING_BLOB failure).
final class FetchingBlobSource: BlobSource, @unchecked Sendable {
    let cache: BlobCache
    let inbox: WorkerInbox
    let waiters: BlobWaiters
    let timeout: Duration
    let metrics: WorkerMetrics?

    init(cache: BlobCache, inbox: WorkerInbox, waiters: BlobWaiters, timeout: Duration, metrics: WorkerMetrics? = nil) {
        self.cache = cache
        self.inbox = inbox
        self.waiters = waiters
        self.timeout = timeout
        self.metrics = metrics
    }

    func blob(_ sha256: String) throws -> [UInt8] {
        if let bytes = try cache.get(sha256) {
            metrics?.cacheHits.increment()
            return bytes
        }
        metrics?.cacheMisses.increment()
        _ = waiters.reset(sha256)
        inbox.post(.needBlob(sha256))
        let seconds = timeout / .seconds(1)
        guard waiters.wait(sha256, until: Date(timeIntervalSinceNow: seconds)), let bytes = try cache.get(sha256) else {
            throw BlobStoreError.missing(sha256)
        }
        return bytes
    }
}
