import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm bench segment`: seconds for the segmentation network and for the dense CRF.
struct SegmentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Time DeepLab v3 at its input size and 10 mean-field CRF iterations (2 and 21 labels).",
        discussion: """
            Prints network_s=… crf_s=… (2 labels) crf21_s=… (21 labels), each the best wall time of --repeats runs
            after a warm-up, the same steps' best process CPU time (…_cpu_s, steadier on a busy machine) and the
            1-minute load average. Needs `stylefarm models install --segmentation`. Compare with tools/bench (LiteRT,
            pydensecrf) in the same session; docs/BENCHMARKS.md.
            """)

    @Option(help: "Side of the square test image in pixels (the CRF runs at this size).")
    var size: Int = 513

    @Option(help: "Model: deeplab or deeplab-small.")
    var model: String = "deeplab"

    @Option(help: "Timed runs of each step (the best is printed).")
    var repeats: Int = 3

    @Option(help: "Threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func run() throws {
        if let threads { EngineThreads.set(threads) }
        guard size >= 16, repeats >= 1 else { throw ValidationError("--size must be ≥ 16 and --repeats ≥ 1") }
        let url = try SegmentationModels(modelDirectory: ModelDirectory.resolve(explicit: modelDir)).installedURL(model)
        let segmenter = try DeepLabSegmenter(modelPath: url.path)
        // A deterministic test card: smooth gradients and a bright disc (an "object").
        var pixels = [Float](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x - size / 2), dy = Double(y - size / 2)
                let inside = dx * dx + dy * dy < Double(size * size) / 10
                let i = (y * size + x) * 3
                pixels[i] = inside ? 0.9 : Float(x) / Float(size)
                pixels[i + 1] = inside ? 0.7 : Float(y) / Float(size)
                pixels[i + 2] = inside ? 0.6 : 0.3
            }
        }
        let image = Image(width: size, height: size, channels: 3, pixels: pixels)
        /// Best wall time and best process CPU time (all threads) of `repeats` runs after a
        /// warm-up. On a busy machine the CPU time is the steadier figure: other processes stretch the
        /// wall time but not the work done.
        func best(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
            try body()
            var wall = Double.infinity, cpu = Double.infinity
            for _ in 0..<repeats {
                let cpu0 = processCPUSeconds()
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                wall = min(wall, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                cpu = min(cpu, processCPUSeconds() - cpu0)
            }
            return (wall, cpu)
        }
        var result: SegmentationResult?
        let network = try best { result = try segmenter.segment(image) }
        let probabilities = result!.probabilities
        var parameters = DenseCRFParameters()
        parameters.iterations = 10
        let foreground = result!.foregroundMatte(classes: PascalVOCClasses.objects)
        let two = [foreground.map { 1 - $0 }, foreground]
        let crf2 = try best { _ = try DenseCRF.infer(probabilities: two, image: image, parameters: parameters) }
        let crf21 = try best { _ = try DenseCRF.infer(probabilities: probabilities, image: image, parameters: parameters) }
        print(String(format: "segment model=%@ size=%d threads=%d network_s=%.4f crf_s=%.4f crf21_s=%.4f "
                     + "network_cpu_s=%.4f crf_cpu_s=%.4f crf21_cpu_s=%.4f loadavg=%.2f",
                     model, size, EngineThreads.count, network.wall, crf2.wall, crf21.wall,
                     network.cpu, crf2.cpu, crf21.cpu, loadAverage()))
    }

    /// CPU seconds of this process so far (all threads).
    private func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The 1-minute load average (0 where unavailable).
    private func loadAverage() -> Double {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) >= 1 ? loads[0] : 0
    }
}
