import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm bench dispatch`: the farm's own overhead. Zero-duration echo tasks go through a real
/// coordinator (job state persisted in SQLite) and real worker processes over tcp loopback.
struct DispatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Measure task dispatch: zero-duration echo tasks through a coordinator and worker processes.",
        discussion: """
            Prints one line ending in tasks_per_s=<n>, with p50/p99 of the per-task round trip (assignment
            sent → result received, measured in the coordinator) and the coordinator's CPU time. The clock
            starts when the job is accepted and stops when the last task is recorded as done.
            With --delete, the finished job is then deleted (`stylefarm delete`) while another client lists
            the jobs with their status every 50 ms; a second line gives the delete's time and that round
            trip's p99 and maximum.
            """)

    @Option(help: "Tasks in the timed job.")
    var tasks: Int = 20_000

    @Option(help: "Worker processes.")
    var workers: Int = 4

    @Option(help: "Workers to a process (> 1: light echo workers in one process each, to simulate hundreds on one machine).")
    var workersPerProcess: Int = 1

    @Option(help: "Task slots per worker (credit: tasks in flight per worker).")
    var slots: Int = 64

    @Flag(help: "Keep a client watching the timed job, as `stylefarm render` does (its events cost the coordinator too).")
    var watch = false

    @Flag(help: "Plain TCP instead of CurveZMQ between the coordinator, its workers and clients (to measure what encryption costs).")
    var insecure = false

    @Flag(help: "Workers send a Ready after each report instead of the credit on the report (to measure what that costs).")
    var readyAfterReports = false

    @Flag(help: "Delete the timed job afterwards, timing the delete and status round trips during it.")
    var delete = false

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1") }
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if slots < 1 { throw ValidationError("--slots must be at least 1") }
        if workersPerProcess < 1 || workersPerProcess > 1000 { throw ValidationError("--workers-per-process must be 1…1000") }
    }

    func run() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        let latencies = LatencyLog()
        let farm = try LocalFarm(stateDirectory: state, workers: workers, threadsPerWorker: 1, slotsPerWorker: slots,
                                 modelDirectory: nil, insecure: insecure, workersPerProcess: workersPerProcess) { server in
            server.onRoundTrip = { latencies.add($0) }
            server.acceptsCreditInReports = !readyAfterReports
        }
        defer { farm.shutdown() }
        let client = try farm.client(timeout: .seconds(60))
        defer { client.close() }

        // Warm-up: every worker registered and busy once.
        _ = try runJob(client, latencies: latencies, name: "warmup", tasks: workers * slots * 2)
        latencies.reset()
        let cpuBefore = Self.processCPUSeconds()
        let (jobID, seconds) = try runJob(client, latencies: latencies, name: "dispatch", tasks: tasks,
                                          watchEndpoint: watch ? farm.clientEndpoint : nil, watchCredential: farm.credential)
        let cpu = Self.processCPUSeconds() - cpuBefore
        let percentile = latencies.percentiles()
        print(String(format: "dispatch tasks=%d workers=%d per_process=%d slots=%d watch=%@ curve=%@ credit_in_reports=%@ wall_s=%.3f coordinator_cpu_s=%.3f p50_ms=%.3f p99_ms=%.3f tasks_per_s=%.0f",
                     tasks, workers, workersPerProcess, slots, watch ? "yes" : "no", insecure ? "no" : "yes", readyAfterReports ? "no" : "yes", seconds, cpu, percentile(0.5) * 1000, percentile(0.99) * 1000, Double(tasks) / seconds))
        if delete { try timeDelete(jobID, client: client, farm: farm) }
    }

    /// Deletes the finished job while a second client lists the jobs every 50 ms (the loop must keep answering:
    /// the delete runs on the maintenance thread in chunks); prints the delete's time, the p99 and the maximum.
    private func timeDelete(_ jobID: String, client: CoordinatorClient, farm: LocalFarm) throws {
        let prober = try farm.client(timeout: .seconds(60))
        _ = try prober.list()   // connected and through the handshake before the clock starts
        let done = StopSignal()
        let probes = LatencyLog()
        let thread = Thread {
            defer { prober.close() }
            while !done.isSet {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try? prober.list()
                probes.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                usleep(50_000)
            }
            done.finish()
        }
        thread.start()
        let start = DispatchTime.now().uptimeNanoseconds
        let reply = try client.delete(jobID, outputs: false)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        done.set()
        done.waitFinished()
        let percentile = probes.percentiles()
        print(String(format: "delete tasks_deleted=%d delete_s=%.3f status_probes=%d status_p99_ms=%.1f status_max_ms=%.1f",
                     reply.tasksDeleted, seconds, probes.values.count, percentile(0.99) * 1000, percentile(1) * 1000))
    }

    /// Submits an echo job of `tasks` zero-second tasks and polls until it is done; returns the seconds
    /// from the job's acceptance to its completion.
    private func runJob(_ client: CoordinatorClient, latencies: LatencyLog, name: String, tasks: Int,
                        watchEndpoint: String? = nil, watchCredential: Credential? = nil) throws -> (jobID: String, seconds: Double) {
        var spec = Stylefarm_V1_JobSpec()
        spec.name = name
        spec.kind = .echo
        spec.echoSeconds = 0
        spec.frames = "1-\(tasks)"
        spec.options.sharedFilesystem = true
        let jobID = try client.submit(spec)
        let start = DispatchTime.now().uptimeNanoseconds
        let watching = DispatchSemaphore(value: 0)
        if let watchEndpoint {
            // A watcher on its own client and thread, reading events until the job ends (or 10 min).
            let thread = Thread {
                defer { watching.signal() }
                guard let watcher = try? CoordinatorClient(endpoint: watchEndpoint, timeout: .seconds(60), credential: watchCredential) else { return }
                defer { watcher.close() }
                let deadline = ContinuousClock.now + .seconds(600)
                _ = try? watcher.watch(jobID, until: { ContinuousClock.now > deadline }) { _ in }
            }
            thread.start()
        }
        defer { if watchEndpoint != nil { watching.wait() } }
        while true {
            // Polled slowly (a status reply costs the coordinator a scan of the job's frames); the
            // end time is the coordinator's own time of the last result.
            usleep(100_000)
            let job = try client.status(jobID).job
            if job.state == .completed { return (jobID, Double(latencies.lastAt - start) / 1e9) }
            if job.state == .failed || job.state == .cancelled { throw BenchError.jobEnded(job.state.name) }
        }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// A stop flag for a probing thread, and its answer that it stopped.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private let finished = DispatchSemaphore(value: 0)
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func finish() { finished.signal() }
    func waitFinished() { finished.wait() }
}

/// Round-trip times reported by the coordinator thread, read by the bench afterwards.
final class LatencyLog: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Double] = []
    private var last: UInt64 = 0
    func add(_ seconds: Double) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.withLock { samples.append(seconds); last = now }
    }
    /// When the last sample arrived (`DispatchTime` nanoseconds).
    var lastAt: UInt64 { lock.withLock { last } }
    func reset() { lock.withLock { samples.removeAll() } }
    var values: [Double] { lock.withLock { samples } }
    /// The samples' percentiles as a function of p in 0…1 (1: the largest; 0 when there are none).
    func percentiles() -> (Double) -> Double {
        let sorted = values.sorted()
        return { p in sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case jobEnded(String)
    var description: String { "the benchmark job ended \(_state)" }
    private var _state: String { if case .jobEnded(let s) = self { return s } else { return "" } }
}
