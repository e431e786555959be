import Foundation
import Prometheus
import Protocol

/// A worker's own Prometheus metrics (`stylefarm worker --metrics ADDR`, docs/HTTP.md "Metrics"): what its tasks
/// did, how fast its engine evaluates, its memory and its blob cache. Recorded by task threads and the loop
/// thread as things happen (atomic adds); read by the metrics server's threads.
public final class WorkerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    let succeeded: Counter
    let failed: Counter
    let evaluations: Counter
    let taskSeconds: DurationHistogram
    let secondsPerEvaluation: DurationHistogram
    let peakRSS: Gauge
    let executing: Gauge
    let cacheHits: Counter
    let cacheMisses: Counter
    let blobBytesReceived: Counter
    private let lock = NSLock()
    private var highestRSS: UInt64 = 0

    public init() {
        let r = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "stylefarm_worker", metricName: metric, unitName: unit, helpText: help)
        }
        succeeded = r.makeCounter(descriptor: name("tasks_succeeded", "total", "Tasks this worker finished and reported."))
        failed = r.makeCounter(descriptor: name("tasks_failed", "total", "Tasks this worker reported failed (cancelled ones included)."))
        evaluations = r.makeCounter(descriptor: name("evaluations", "total", "Objective evaluations (optimizer iterations) of finished tasks."))
        taskSeconds = r.makeDurationHistogram(descriptor: name("task", "seconds", "Wall time of finished tasks."),
                                              buckets: [.milliseconds(100), .seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60),
                                                        .seconds(120), .seconds(300), .seconds(900), .seconds(3600)])
        secondsPerEvaluation = r.makeDurationHistogram(descriptor: name("evaluation", "seconds", "A task's wall time over its evaluations: the engine's seconds per iteration."),
                                                       buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                                                 .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)])
        peakRSS = r.makeGauge(descriptor: name("peak_rss", "bytes", "The highest resident memory a task of this worker reported."))
        executing = r.makeGauge(descriptor: name("tasks_executing", "", "Tasks running on this worker now."))
        cacheHits = r.makeCounter(descriptor: name("blob_cache_hits", "total", "Inputs a task found in the blob cache."))
        cacheMisses = r.makeCounter(descriptor: name("blob_cache_misses", "total", "Inputs a task had to fetch from the coordinator."))
        blobBytesReceived = r.makeCounter(descriptor: name("blob_bytes_received", "total", "Bytes of input blobs received from the coordinator."))
    }

    /// A task's report (task thread).
    func record(_ report: Stylefarm_V1_WorkerMessage) {
        switch report.payload {
        case .result(let result)?:
            succeeded.increment()
            let seconds = max(0, result.stats.wallSeconds)
            taskSeconds.record(.milliseconds(Int64((seconds * 1000).rounded())))
            if result.stats.iterations > 0 {
                evaluations.increment(by: Int64(result.stats.iterations))
                secondsPerEvaluation.record(.microseconds(Int64((seconds / Double(result.stats.iterations) * 1e6).rounded())))
            }
            let rss = result.stats.peakRssBytes
            let highest: UInt64 = lock.withLock { highestRSS = max(highestRSS, rss); return highestRSS }
            peakRSS.set(Double(highest))
        case .failure?:
            failed.increment()
        default:
            break
        }
    }

    /// The text a scrape gets.
    public func exposition() -> String { registry.emitToString() }
}
