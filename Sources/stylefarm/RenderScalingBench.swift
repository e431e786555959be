import ArgumentParser
import Coordinator
import Foundation
import JobModel
import Protocol

/// `stylefarm bench render`: how a real render scales with worker processes on this machine.
struct RenderScalingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Time the same real render with 1 worker and with N workers (one BLAS thread each).",
        discussion: """
            Renders frames of the demo pan (needs `stylefarm models install` and `models install --demo`)
            once per worker count and prints, per run, the wall time from submission to the last frame, the
            time the submission took (the coordinator computes the job's style targets then), the
            coordinator's CPU use while the frames render as a share of one core (this process: the
            coordinator thread and the watching client), then speedup=<t1/tN>.
            """)

    @Option(help: "Frames to render (at most 12).")
    var frames: Int = 8

    @Option(help: "Worker counts to compare, comma-separated; the first is the baseline.")
    var workers: String = "1,2"

    @Option(help: "Longer side of the output in pixels.")
    var size: Int = 192

    @Option(help: "Objective evaluations per frame.")
    var iterations: Int = 40

    @Flag(help: "Plain TCP instead of CurveZMQ between the coordinator, its workers and the client (to measure what encryption costs).")
    var insecure = false

    @Flag(help: "Frames and outputs travel as blobs over the sockets instead of through the shared folder (what a farm without a shared file system does).")
    var blobs = false

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func run() throws {
        let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }), (1...DemoSequence.frameCount).contains(frames) else {
            throw ValidationError("--workers must list counts ≥ 1 and --frames must be 1...\(DemoSequence.frameCount)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-scaling-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let plates = try DemoSequence.writePlates(into: root.appendingPathComponent("plates"), modelDirectory: modelDir)
        var baseline: Double?
        for count in counts {
            let output = root.appendingPathComponent("out-\(count)").path
            let job = try JobSpec(name: "scaling", kind: .stylize, content: plates.content, frames: "1-\(frames)",
                                  styles: [plates.style], outputDir: output, sharedFilesystem: !blobs,
                                  size: size, iterations: iterations).resolve(baseDirectory: "/")
            let farm = try LocalFarm(stateDirectory: root.appendingPathComponent("state-\(count)"), workers: count,
                                     threadsPerWorker: 1, modelDirectory: modelDir, insecure: insecure)
            defer { farm.shutdown() }
            let client = try farm.client(timeout: .seconds(120))
            defer { client.close() }
            let start = Date()
            // Submitting includes computing the job's style targets once (VGG load + style forward).
            let jobID = try client.submit(Stylefarm_V1_JobSpec(job))
            let submitted = Date()
            let cpuBefore = DispatchBench.processCPUSeconds()
            let last = try client.watch(jobID) { _ in }
            let wall = Date().timeIntervalSince(start)
            let cpu = DispatchBench.processCPUSeconds() - cpuBefore
            let rendering = Date().timeIntervalSince(submitted)
            guard last?.jobState == .completed else { throw BenchError.jobEnded(last?.jobState.name ?? "without an answer") }
            baseline = baseline ?? wall
            print(String(format: "render frames=%d size=%d iterations=%d workers=%d threads_per_worker=1 curve=%@ blobs=%@ wall_s=%.2f submit_s=%.2f coordinator_cpu_pct=%.2f speedup=%.2f",
                         frames, size, iterations, count, insecure ? "no" : "yes", blobs ? "yes" : "no", wall, submitted.timeIntervalSince(start), 100 * cpu / rendering, baseline! / wall))
        }
    }
}
