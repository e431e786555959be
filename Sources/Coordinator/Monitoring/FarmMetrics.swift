import Foundation
import Prometheus

/// The coordinator's Prometheus metrics (docs/HTTP.md "Metrics"), served by the HTTP API at `/metrics`.
/// Counters and histograms are recorded by the loop as things happen (an atomic add each); the gauges of
/// jobs and tasks by state are read from the store when scraped, off the loop, at most every
/// ``storeCountsInterval`` seconds. Any thread may read; the loop is the only writer of the event metrics.
public final class FarmMetrics: @unchecked Sendable {
    /// What `emit` writes (the Prometheus text exposition format).
    public let registry = PrometheusCollectorRegistry()

    let dispatched: Counter
    let completed: Counter
    let retried: Counter
    let failed: Counter
    let timedOut: Counter
    let lost: Counter
    let evaluations: Counter
    let blobBytesSent: Counter
    let blobBytesReceived: Counter
    let renderSeconds: DurationHistogram
    let loopSeconds: DurationHistogram
    let submissionSeconds: DurationHistogram
    let storeWriteSeconds: DurationHistogram
    private let workers: [String: Gauge]
    private let jobs: [String: Gauge]
    private let tasks: [String: Gauge]
    private let oldestJobAge: Gauge
    private let scrapeSeconds: Gauge

    static let workerStates = ["alive", "busy", "dead", "unhealthy"]
    static let jobStates = ["queued", "running", "paused", "completed", "failed", "cancelled"]
    static let taskStates = ["queued", "assigned", "running", "completed", "failed", "cancelled"]
    /// The store's counts are read again when a scrape comes this long after the last read.
    public static let storeCountsInterval: TimeInterval = 2

    private let countsQueue = DispatchQueue(label: "stylefarm.coordinator.metrics")
    private let lock = NSLock()
    private var countsReadAt = Date.distantPast
    /// Reads the store's counts (set by the server).
    var readCounts: (@Sendable () throws -> StoreCounts)?

    public init() {
        let r = registry
        dispatched = r.makeCounter(descriptor: Self.descriptor("tasks_dispatched", "total", "Task assignments sent to workers."))
        completed = r.makeCounter(descriptor: Self.descriptor("tasks_completed", "total", "Tasks completed (results accepted)."))
        retried = r.makeCounter(descriptor: Self.descriptor("tasks_retried", "total", "Failed or timed-out attempts whose task was queued again."))
        failed = r.makeCounter(descriptor: Self.descriptor("tasks_failed", "total", "Tasks that failed for good (attempts used up, or not retryable)."))
        timedOut = r.makeCounter(descriptor: Self.descriptor("tasks_timed_out", "total", "Attempts cancelled for running past their task timeout."))
        lost = r.makeCounter(descriptor: Self.descriptor("tasks_lost", "total", "Attempts lost with their worker (requeued without using an attempt)."))
        evaluations = r.makeCounter(descriptor: Self.descriptor("task_evaluations", "total", "Objective evaluations (optimizer iterations) of completed tasks."))
        blobBytesSent = r.makeCounter(descriptor: Self.descriptor("blob_bytes_sent", "total", "Bytes of blobs (inputs) sent to workers."))
        blobBytesReceived = r.makeCounter(descriptor: Self.descriptor("blob_bytes_received", "total", "Bytes of blobs (outputs) received from workers."))
        renderSeconds = r.makeDurationHistogram(descriptor: Self.descriptor("task_render", "seconds", "Wall time of completed tasks on their workers."), buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(30),
                                                          .seconds(60), .seconds(120), .seconds(300), .seconds(900), .seconds(3600)])
        loopSeconds = r.makeDurationHistogram(descriptor: Self.descriptor("loop_iteration", "seconds", "The coordinator loop's work per iteration (not its wait)."), buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                                                        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)])
        submissionSeconds = r.makeDurationHistogram(descriptor: Self.descriptor("submission", "seconds", "Time to check, plan and store a submitted job (off the loop)."), buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
                                                              .seconds(5), .seconds(15), .seconds(60)])
        storeWriteSeconds = r.makeDurationHistogram(descriptor: Self.descriptor("store_write", "seconds", "The loop's job-store write transactions (state changes, claims)."), buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                                                              .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)])
        workers = Dictionary(uniqueKeysWithValues: Self.workerStates.map {
            ($0, r.makeGauge(descriptor: Self.descriptor("workers", "", "Workers by state (busy: alive and holding a task)."), labels: [("state", $0)]))
        })
        jobs = Dictionary(uniqueKeysWithValues: Self.jobStates.map {
            ($0, r.makeGauge(descriptor: Self.descriptor("jobs", "", "Jobs by state."), labels: [("state", $0)]))
        })
        tasks = Dictionary(uniqueKeysWithValues: Self.taskStates.map {
            ($0, r.makeGauge(descriptor: Self.descriptor("tasks", "", "Tasks by state (queued is the queue's depth)."), labels: [("state", $0)]))
        })
        oldestJobAge = r.makeGauge(descriptor: Self.descriptor("queue_oldest_job_age", "seconds", "Age of the oldest job still queued or running (0: none)."))
        scrapeSeconds = r.makeGauge(descriptor: Self.descriptor("metrics_store_read", "seconds", "How long the last read of the store's counts took."))
    }

    /// Counts what a stored state change did (loop thread).
    func count(_ change: StateChange, _ outcome: StateChangeOutcome) {
        guard case .task(let state) = outcome else { return }
        switch (change, state) {
        case (_, .completed): completed.increment()
        case (.failed, .queued): retried.increment()
        case (.timedOut, .queued): timedOut.increment(); retried.increment()
        case (.timedOut, .failed): timedOut.increment(); failed.increment()
        case (.failed, .failed), (.lost, .failed): failed.increment()
        case (.lost, .queued): lost.increment()
        default: break
        }
    }

    /// `stylefarm_<name>_<unit>` with its help text.
    static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "stylefarm", metricName: name, unitName: unit, helpText: help)
    }

    /// Workers by state (loop thread, once a second).
    func setWorkers(alive: Int, busy: Int, dead: Int, unhealthy: Int) {
        workers["alive"]?.set(Double(alive))
        workers["busy"]?.set(Double(busy))
        workers["dead"]?.set(Double(dead))
        workers["unhealthy"]?.set(Double(unhealthy))
    }

    /// The text a scrape gets; reads the store's counts first when they are older than ``storeCountsInterval``
    /// (on a queue of its own, never the loop; a failed read keeps the last counts).
    public func exposition(now: Date = Date()) async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            countsQueue.async { [self] in
                refreshCounts(now: now)
                continuation.resume()
            }
        }
        return registry.emitToString()
    }

    private func refreshCounts(now: Date) {
        guard let readCounts, now.timeIntervalSince(lock.withLock { countsReadAt }) >= Self.storeCountsInterval else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        guard let counts = try? readCounts() else { return }
        scrapeSeconds.set(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        lock.withLock { countsReadAt = now }
        for state in Self.jobStates { jobs[state]?.set(Double(counts.jobs[state] ?? 0)) }
        for state in Self.taskStates { tasks[state]?.set(Double(counts.tasks[state] ?? 0)) }
        oldestJobAge.set(counts.oldestUnfinishedJob.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }
}

/// Jobs and tasks by state, as the store counts them now.
public struct StoreCounts: Sendable, Equatable {
    /// By state; a queued or running job with a pause reason counts as `paused`.
    public var jobs: [String: Int]
    public var tasks: [String: Int]
    /// When the oldest job still queued or running was submitted.
    public var oldestUnfinishedJob: Date?
}
