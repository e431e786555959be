import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel
import Protocol

/// `stylefarm bench coordinator-latency`: does the coordinator keep answering while a heavy job is submitted
/// in the middle of a render (issue 16)? Two workers render a small shot; a probe asks for its status every
/// 50 ms; a second client submits a 4K tiled temporal job of 48 frames with 2 styles (cancelled once accepted:
/// only its submission is measured). Lost attempts and silent workers are read afterwards from the job store
/// and the coordinator's log.
struct CoordinatorLatencyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator-latency",
        abstract: "Measure the coordinator's status round trip while a heavy job is submitted during a render.",
        discussion: """
            Prints one line ending in status_p99_ms=<n> lost_attempts=<n>: percentiles of the status round trip
            over the probes from 1 s before the heavy submit until 2 s after it was answered, the submit's own
            time, the render's attempts recorded as lost, and how often the coordinator found a worker silent.
            Needs the VGG-16 weights (stylefarm models install).
            """)

    @Option(help: "Worker processes rendering the small shot.")
    var workers: Int = 2

    @Option(help: "Frames of the heavy job.")
    var heavyFrames: Int = 48

    @Option(help: "Output long side of the heavy job, pixels (its plates are 16:9 at this width).")
    var heavySize: Int = 4096

    @Option(help: "Probe interval, milliseconds.")
    var probeMs: Int = 50

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if heavyFrames < 3 { throw ValidationError("--heavy-frames must be at least 3 (shot cuts need 3)") }
        if heavySize < 64 { throw ValidationError("--heavy-size must be at least 64") }
        if probeMs < 1 { throw ValidationError("--probe-ms must be at least 1") }
    }

    func run() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-latency-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        let media = state.appendingPathComponent("media")
        let shot = try writeSmallShot(in: media)
        let heavy = try writeHeavyShot(in: media)

        let farm = try LocalFarm(stateDirectory: state.appendingPathComponent("farm"), workers: workers, threadsPerWorker: 1,
                                 modelDirectory: nil)
        var farmStopped = false
        defer { if !farmStopped { farm.shutdown() } }
        let client = try farm.client(timeout: .seconds(600))
        defer { client.close() }
        let renderID = try client.submit(Stylefarm_V1_JobSpec(shot))
        // Rendering: a task running on every worker (or the shot done already, on a fast machine).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try client.status(renderID, frames: true)
            if status.frames.filter({ $0.state == .running }).count >= min(workers, 8) || status.job.state == .completed { break }
            usleep(50_000)
        }

        let probe = StatusProbe(endpoint: farm.clientEndpoint, credential: farm.credential, jobID: renderID, interval: .milliseconds(probeMs))
        probe.start()
        Thread.sleep(forTimeInterval: 1)
        let submitStart = Date()
        let heavyID = try client.submit(Stylefarm_V1_JobSpec(heavy))
        let submitSeconds = Date().timeIntervalSince(submitStart)
        try client.cancel(heavyID)
        Thread.sleep(forTimeInterval: 2)
        let samples = probe.stop()

        // Stopping the farm ends the render's running attempts as lost too: only those before it count.
        let measured = Date()
        farm.shutdown()
        farmStopped = true
        let store = try SQLiteJobStore(stateDirectory: state.appendingPathComponent("farm"))
        let lost = try store.tasks(ofJob: renderID).reduce(0) { sum, task in
            sum + (try store.attempts(ofTask: task.id).filter { $0.outcome == .lost && ($0.endedAt ?? measured) < measured }.count)
        }
        try store.close()
        let log = (try? String(contentsOf: state.appendingPathComponent("farm/coordinator.log"), encoding: .utf8)) ?? ""
        let silent = log.components(separatedBy: "\n").filter { $0.contains(" is silent") }.count

        let sorted = samples.rtts.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
        print(String(format: "coordinator-latency workers=%d heavy_frames=%d heavy_size=%d probes=%d probe_errors=%d submit_s=%.2f status_p50_ms=%.1f status_max_ms=%.1f silent_workers=%d status_p99_ms=%.1f lost_attempts=%d",
                     workers, heavyFrames, heavySize, sorted.count, samples.errors, submitSeconds, percentile(0.5),
                     (sorted.last ?? .nan) * 1000, silent, percentile(0.99), lost))
    }

    /// Eight 128×72 frames of a moving pattern, rendered at 96 px with 60 evaluations: long enough to be running
    /// through the whole measurement on 2 workers.
    private func writeSmallShot(in folder: URL) throws -> ResolvedJob {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for frame in 1...8 {
            try ImageWriter.writePNG(Self.pattern(width: 128, height: 72, phase: frame),
                                     to: folder.appendingPathComponent(String(format: "shot.%04d.png", frame)).path)
        }
        let style = folder.appendingPathComponent("style-small.png").path
        try ImageWriter.writePNG(Self.pattern(width: 96, height: 96, phase: 50), to: style)
        return try JobSpec(name: "render", content: folder.appendingPathComponent("shot.####.png").path, frames: "1-8",
                           styles: [style], outputDir: folder.appendingPathComponent("out-render").path, priority: 50,
                           size: 96, iterations: 60).resolve(baseDirectory: folder.path)
    }

    /// One 16:9 plate at `heavySize`, linked as every frame (the submission reads each link in full), and two
    /// square style images of half that size.
    private func writeHeavyShot(in folder: URL) throws -> ResolvedJob {
        let width = heavySize, height = max(1, heavySize * 9 / 16)
        let plate = folder.appendingPathComponent("plate.png")
        try ImageWriter.writePNG(Self.pattern(width: width, height: height, phase: 7), to: plate.path)
        for frame in 1...heavyFrames {
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(String(format: "heavy.%04d.png", frame)).path,
                                                       withDestinationPath: plate.path)
        }
        let styles = try (1...2).map { i -> String in
            let path = folder.appendingPathComponent("style-\(i).png").path
            try ImageWriter.writePNG(Self.pattern(width: heavySize / 2, height: heavySize / 2, phase: 20 * i), to: path)
            return path
        }
        return try JobSpec(name: "heavy", content: folder.appendingPathComponent("heavy.####.png").path,
                           frames: "1-\(heavyFrames)", styles: styles, outputDir: folder.appendingPathComponent("out-heavy").path,
                           priority: 0, size: heavySize, iterations: 60, temporal: "sequential").resolve(baseDirectory: folder.path)
    }

    /// Smooth colour waves with a frame-dependent phase (a stand-in photograph that compresses like one).
    static func pattern(width: Int, height: Int, phase: Int) -> Image {
        var pixels = [Float](repeating: 0, count: width * height * 3)
        let p = Float(phase) * 0.37
        for y in 0..<height {
            for x in 0..<width {
                let u = Float(x) / Float(width), v = Float(y) / Float(height)
                let i = (y * width + x) * 3
                pixels[i] = 0.5 + 0.5 * sinf(9 * u + p)
                pixels[i + 1] = 0.5 + 0.5 * sinf(7 * v - p)
                pixels[i + 2] = 0.5 + 0.5 * sinf(5 * (u + v) + 2 * p)
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}

/// Asks for a job's status every `interval` on its own client and thread, recording each round trip.
final class StatusProbe: @unchecked Sendable {
    struct Samples { var rtts: [Double]; var errors: Int }
    private let endpoint: String
    private let credential: Credential?
    private let jobID: String
    private let interval: Duration
    private let timeout: Duration
    private let lock = NSLock()
    private var samples = Samples(rtts: [], errors: 0)
    private let stopFlag = LockedFlag()
    private let done = DispatchSemaphore(value: 0)

    /// A request unanswered within `timeout` counts as an error.
    init(endpoint: String, credential: Credential?, jobID: String, interval: Duration, timeout: Duration = .seconds(30)) {
        self.endpoint = endpoint; self.credential = credential; self.jobID = jobID; self.interval = interval; self.timeout = timeout
    }

    func start() {
        let thread = Thread { [self] in
            defer { done.signal() }
            guard let client = try? CoordinatorClient(endpoint: endpoint, timeout: timeout, credential: credential) else {
                lock.withLock { samples.errors += 1 }
                return
            }
            defer { client.close() }
            let clock = ContinuousClock()
            while !stopFlag.isSet {
                let start = clock.now
                let ok = (try? client.status(jobID)) != nil
                let rtt = start.duration(to: clock.now)
                lock.withLock {
                    if ok { samples.rtts.append(rtt / .seconds(1)) }
                    else { samples.errors += 1 }
                }
                if rtt < interval { Thread.sleep(forTimeInterval: (interval - rtt) / .seconds(1)) }
            }
        }
        thread.name = "stylefarm-status-probe"
        thread.start()
    }

    /// Stops the probe and returns what it measured.
    func stop() -> Samples {
        stopFlag.set()
        done.wait()
        return lock.withLock { samples }
    }
}
