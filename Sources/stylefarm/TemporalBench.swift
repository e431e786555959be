import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel
import Protocol

/// `stylefarm bench temporal`: the temporal strategies compared on one sequence at equal iterations per
/// frame — mean warp error and style distance (as `evaluate temporal --style`) and wall time on a local
/// farm with each worker count.
struct TemporalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "temporal",
        abstract: "Warp error, style distance and wall time of independent, sequential, multipass and chunked renders of one sequence.",
        discussion: """
            Starts a local farm per worker count (one engine thread per worker), renders --frames of --content \
            with every strategy at the same --iterations per frame (multipass splits them over --passes sweeps), \
            and prints per run: strategy, workers, wall_s (submission to last frame), warp_error (mean over the \
            pairs; ground-truth flow with --flow-gt, else DIS) and its ratio to independent's, style_distance \
            (mean over the frames of the relative Gram error to the style, divided by the content frame's; 1 = \
            as unstylized as the photograph) and its ratio to independent's, and the wall time with N workers \
            relative to sequential's with the same N. A strategy that holds still by not stylizing shows a low \
            warp error and a high style distance: read both.

            Example (the synthetic sequence of `make-sequence`, with exact flow):
              stylefarm make-sequence --out /tmp/seq --frames 8 --size 128x96
              stylefarm bench temporal --content /tmp/seq/frame_####.png --frames 1-8 --style styles/starry.jpg \\
                --flow-gt /tmp/seq/flow_####.flo --occlusions /tmp/seq/occ_####.png
            """)

    @Option(help: "Content frames, a pattern (####, %04d or $F4).")
    var content: String

    @Option(help: "Frames, e.g. 1-8.")
    var frames: String

    @Option(help: "Style image.")
    var style: String

    @Option(help: "Strategies to run, comma-separated (independent first: it is the reference).")
    var strategies = "independent,sequential,multipass,chunked"

    @Option(help: "Worker counts, comma-separated.")
    var workers = "1,2"

    @Option(help: "Longer side of the output in pixels.")
    var size = 128

    @Option(help: "Objective evaluations per frame (every strategy).")
    var iterations = 120

    @Option(help: "multipass: sweeps.")
    var passes = ResolvedTemporal.defaultPasses

    @Option(help: "multipass: γ grows to (1 + ramp)·γ over the sweeps (default: the job default).")
    var multipassGammaRamp: Float?

    @Option(help: "chunked: frames per chunk.")
    var chunkFrames = 4

    @Option(help: "chunked: overlapping frames.")
    var chunkOverlap = 1

    @Option(help: "Temporal loss weight (default: the job default, 200 x content weight).")
    var temporalWeight: Float?

    @Option(name: .customLong("flow-gt"), help: "Ground-truth forward flow pattern for the warp error (as evaluate temporal).")
    var flowGT: String?

    @Option(help: "Ground-truth occlusions pattern (with --flow-gt).")
    var occlusions: String?

    @Option(help: "Render in tiles of at most this side (default: the farm's tile budget, which keeps small frames whole).")
    var tileSize: Int?

    @Option(help: "Keep the renders in this folder (default: a temporary folder, removed).")
    var keep: String?

    @Option(help: "Write <name>.png (each strategy's frames above their warp residuals) and <name>-preview.png (an animated PNG, independent | multipass) into this folder.")
    var figure: String?

    @Option(help: "Name of the figure files.")
    var figureName = "temporal"

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func run() throws {
        let names = strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in names where TemporalStrategy(rawValue: name) == nil {
            throw ValidationError("--strategies: '\(name)' is not one of \(TemporalStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--workers must list counts ≥ 1") }
        let root = URL(fileURLWithPath: keep ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("stylefarm-temporal-\(UUID().uuidString.prefix(8))").path)
        defer { if keep == nil { try? FileManager.default.removeItem(at: root) } }
        let cwd = FileManager.default.currentDirectoryPath
        var errors: [String: Double] = [:]
        var distances: [String: Double] = [:]
        let engine = try EngineOptions.parse(modelDir.map { ["--model-dir", $0] } ?? [])
        let styleDistance = try EvaluateTemporalCommand.makeStyleDistance(styles: [style], styleScale: 1, longSide: size, engine: engine)
        var walls: [String: Double] = [:]
        var rendered: [(name: String, pattern: PathPattern)] = []
        for count in counts {
            let farm = try LocalFarm(stateDirectory: root.appendingPathComponent("state-\(count)"), workers: count,
                                     threadsPerWorker: 1, modelDirectory: modelDir)
            defer { farm.shutdown() }
            let client = try farm.client(timeout: .seconds(600))
            defer { client.close() }
            for name in names {
                let output = root.appendingPathComponent("\(name)-w\(count)").path
                let job = try JobSpec(name: name, kind: .stylize, content: content, frames: frames, styles: [style],
                                      outputDir: output, sharedFilesystem: true, size: size, iterations: iterations,
                                      temporal: name, temporalWeight: temporalWeight, passes: passes, chunkFrames: chunkFrames,
                                      chunkOverlap: chunkOverlap, detectCuts: false, multipassGammaRamp: multipassGammaRamp,
                                      tileSize: tileSize)
                    .withPathsResolved(against: cwd).resolve(baseDirectory: cwd)
                let start = Date()
                let jobID = try client.submit(Stylefarm_V1_JobSpec(job))
                let last = try client.watch(jobID) { _ in }
                let wall = Date().timeIntervalSince(start)
                guard last?.jobState == .completed else { throw BenchError.jobEnded(last?.jobState.name ?? "without an answer") }
                var arguments = ["--stylized", output + "/\(name).####.png", "--content", content, "--frames", frames, "--no-detect-cuts"]
                if let flowGT { arguments += ["--flow-gt", flowGT] }
                if let occlusions { arguments += ["--occlusions", occlusions] }
                let summary = try EvaluateTemporalCommand.parse(arguments).measure(distance: styleDistance) { _ in }
                let error = summary.warpError, distance = summary.styleDistance ?? .nan
                if count == counts[0] {
                    errors[name] = error; distances[name] = distance
                    rendered.append((name, try PathPattern(output + "/\(name).####.png")))
                }
                walls["\(name)@\(count)"] = wall
                let ratio = errors["independent"].map { String(format: "%.3f", error / $0) } ?? "-"
                let styleRatio = distances["independent"].map { String(format: "%.3f", distance / $0) } ?? "-"
                let sequential = walls["sequential@\(count)"].map { String(format: "%.2f", wall / $0) } ?? "-"
                print(String(format: "temporal strategy=%@ workers=%d frames=%@ size=%d iterations=%d passes=%d tile_size=%@ wall_s=%.2f warp_error=%.6g error_vs_independent=%@ style_distance=%.4f style_vs_independent=%@ wall_vs_sequential=%@",
                             name, count, frames, size, iterations, passes, tileSize.map(String.init) ?? "auto", wall, error, ratio,
                             distance, styleRatio, sequential))
            }
        }
        if let figure { try writeFigure(into: figure, rendered: rendered) }
    }

    private func writeFigure(into folder: String, rendered: [(name: String, pattern: PathPattern)]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let numbers = try FrameRange(parsing: frames).frames
        let contentPattern = try PathPattern(content).resolved(against: FileManager.default.currentDirectoryPath)
        let shown = Array(numbers.dropFirst().prefix(4))
        let sheet = try TemporalFigure.sheet(strategies: rendered, content: contentPattern, frames: numbers, shown: shown)
        let sheetPath = folder + "/\(figureName).png"
        try ImageWriter.writePNG(sheet, to: sheetPath)
        print("figure \(sheetPath): rows \(rendered.map(\.name).joined(separator: ", ")), each its frames \(shown.map(String.init).joined(separator: ",")) then their warp residuals x4")
        if let left = rendered.first(where: { $0.name == "independent" }), let right = rendered.first(where: { $0.name == "multipass" }) {
            let previewPath = folder + "/\(figureName)-preview.png"
            try TemporalFigure.preview(left: left.pattern, right: right.pattern, frames: numbers, fps: 6, to: previewPath)
            print("preview \(previewPath): independent | multipass, \(numbers.count) frames at 6 fps")
        }
    }
}
