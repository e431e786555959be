import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel
import Protocol

/// `stylefarm render`: local multi-process mode. Starts a coordinator and N worker processes on this
/// machine (default one per core, one BLAS thread each), submits the job, shows its progress, waits,
/// writes a contact sheet and shuts everything down — also on Ctrl-C.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a job on this machine with a local coordinator and worker processes.",
        discussion: """
            Examples:
              stylefarm render --demo                       # 12-frame demo pan into out/demo-render
              stylefarm render examples/jobs/shot010.yaml --workers 2
              stylefarm render --name shot --content plates/shot.####.png --frames 1-48 \\
                  --style starry.jpg --output-dir renders/shot --size 512
            """)

    @Argument(help: "Job spec file (.yaml, .yml or .json).")
    var specFile: String?

    @Flag(help: "Render the embedded demo sequence (a slow pan over a pinned photo, in the style of a pinned image).")
    var demo = false

    @OptionGroup var job: JobOptions

    @Option(help: "Worker processes (default: one per core).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "BLAS threads per worker.")
    var threadsPerWorker: Int = 1

    @Option(help: "Folder for the coordinator's database, worker caches and logs (default: a temporary folder, removed afterwards).")
    var stateDir: String?

    @Option(help: "Contact sheet PNG (default: contact_sheet.png in the output folder).")
    var contactSheet: String?

    @Option(help: "Width of each frame on the contact sheet, in pixels.")
    var sheetCellWidth: Int = 256

    @Flag(help: "Do not write a contact sheet.")
    var noContactSheet = false

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        if sheetCellWidth < 16 { throw ValidationError("--sheet-cell-width must be at least 16 (got \(sheetCellWidth))") }
        if threadsPerWorker < 1 { throw ValidationError("--threads-per-worker must be at least 1 (got \(threadsPerWorker))") }
        if demo && specFile != nil { throw ValidationError("--demo renders the embedded job; drop the spec file or --demo") }
    }

    func run() throws {
        let resolved = try resolveJob()
        let temporaryState = stateDir == nil
        let state = stateDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-render-\(UUID().uuidString.prefix(8))")
        let began = Date()
        let stop = SignalStop()
        defer { stop.cancel() }
        let farm = try LocalFarm(stateDirectory: state, workers: workers, threadsPerWorker: threadsPerWorker, modelDirectory: modelDir)
        defer {
            farm.shutdown()
            if temporaryState { try? FileManager.default.removeItem(at: state) }
        }
        FileHandle.standardError.write(Data("render: \(resolved.frames.count) frame(s) of \(resolved.name) on \(workers) worker process(es) × \(threadsPerWorker) thread(s)\n".utf8))
        // The coordinator is this process: wait for it as long as submitting takes (a 4K job's style
        // targets are computed at submit).
        let client = try farm.client(timeout: .seconds(900))
        defer { client.close() }
        let jobID = try client.submit(Stylefarm_V1_JobSpec(resolved))
        var view = JobProgressView(label: resolved.name)
        let last = try client.watch(jobID, until: { stop.isSet || farm.runningWorkers == 0 }) { view.show($0) }
        guard let last else {
            if stop.isSet {
                _ = try? client.cancel(jobID)
                FileHandle.standardError.write(Data("\nrender: interrupted; workers stopped\n".utf8))
                throw ExitCode(130)
            }
            throw RenderError.workersExited(logs: state.path)
        }
        let seconds = Date().timeIntervalSince(began)
        guard last.jobState == .completed else {
            let frames = (try? client.status(jobID, frames: true).frames) ?? []
            for f in frames where f.state == .failed { FileHandle.standardError.write(Data("frame \(f.frameIndex): \(f.error)\n".utf8)) }
            throw RenderError.jobFailed(state: last.jobState.name, failed: Int(last.framesFailed))
        }
        let outputs = resolved.output.map { pattern in resolved.frames.frames.map { pattern.path(for: $0) } } ?? []
        print(String(format: "rendered %d frame(s) in %.1f s into %@", resolved.frames.count, seconds, resolved.outputDirectory ?? "-"))
        if !noContactSheet, !outputs.isEmpty, resolved.kind == .stylize {
            let path = contactSheet ?? ((resolved.outputDirectory ?? ".") + "/contact_sheet.png")
            let frames = try outputs.map { try ImageReader.read(path: $0) }
            let columns = min(4, frames.count)
            try ImageWriter.writePNG(try ContactSheet.compose(frames, columns: columns, cellWidth: min(sheetCellWidth, frames[0].width)), to: path)
            print("contact sheet: \(path)")
        }
    }

    /// The job from --demo, a spec file and/or flags.
    func resolveJob() throws -> ResolvedJob {
        guard demo else { return try job.resolve(specFile: specFile) }
        var flags = try job.specLayer()
        let outputDir = flags.outputDir ?? URL(fileURLWithPath: "out/demo-render").standardizedFileURL.path
        let plates = try DemoSequence.writePlates(into: URL(fileURLWithPath: outputDir).appendingPathComponent("plates"),
                                                  modelDirectory: modelDir)
        let demoSpec = JobSpec(name: "demo", kind: .stylize, content: plates.content, frames: "1-\(DemoSequence.frameCount)",
                               styles: [plates.style], outputDir: outputDir, output: "demo.####.png",
                               sharedFilesystem: true, size: 224, iterations: 100)
        flags.outputDir = nil
        return try demoSpec.overlaid(by: flags).resolve(baseDirectory: FileManager.default.currentDirectoryPath)
    }
}

enum RenderError: Error, CustomStringConvertible {
    case workersExited(logs: String)
    case jobFailed(state: String, failed: Int)

    var description: String {
        switch self {
        case .workersExited(let logs):
            return "every worker process exited before the job finished; see the worker logs in \(logs) (run with --state-dir to keep them)"
        case .jobFailed(let state, let failed):
            return "the job \(state) with \(failed) failed frame(s)"
        }
    }
}
