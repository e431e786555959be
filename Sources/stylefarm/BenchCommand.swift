import ArgumentParser
import Engine
import Foundation

/// `stylefarm bench`: performance measurements (never timed tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed and memory.",
        subcommands: [EngineBench.self, DispatchBench.self, CoordinatorLatencyBench.self, RenderScalingBench.self, SegmentBench.self,
                      TemporalBench.self, HTTPLoadBench.self])
}

/// `stylefarm bench engine`: seconds per style-transfer iteration.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Time one style-transfer iteration: forward to the deepest used layer, losses, input-gradient backward.",
        discussion: """
            Prints one line ending in s_per_iter=<seconds>. Uses the installed weights; for a network without
            installed weights (VGG-19 here) pass --random-weights: seeded random weights time the same work.
            Compare with tools/bench/torch_reference.py in the same session (docs/BENCHMARKS.md).
            """)

    @Option(help: "Square input size in pixels.")
    var size: Int = 512

    @Option(help: "Timed iterations (after one warm-up).")
    var iterations: Int = 5

    @Flag(help: "Use seeded random weights instead of the installed ones (timing only).")
    var randomWeights = false

    @Option(help: "Time the segmentation-aware objective with this many regions (vertical bands, each its own style; 0 = plain).")
    var regions: Int = 0

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        if size < 32 { throw ValidationError("--size must be at least 32 (got \(size))") }
        if iterations < 1 { throw ValidationError("--iterations must be at least 1 (got \(iterations))") }
        if regions < 0 || regions > 16 { throw ValidationError("--regions must be 0…16 (got \(regions))") }
    }

    func run() throws {
        if let threads = engine.threads { EngineThreads.set(threads) }
        let vgg = randomWeights ? try VGG.seededRandomWeights(engine.network, pooling: engine.pooling) : try engine.makeNetwork()
        let parameters = StyleTransferParameters()
        let content = Self.syntheticTensor(size: size, seed: 1)
        let style = Self.syntheticTensor(size: size, seed: 2)
        let targets = try StyleTargets.compute(vgg: vgg, styles: [style], blendWeights: [1],
                                               layerNames: parameters.styleLayers.map(\.name))
        let objective: StyleObjective
        if regions > 0 {
            // Vertical bands with soft 8-pixel edges, each with its own style targets.
            let bands = (0..<regions).map { r -> RegionPlan.Region in
                let mask = (0..<(size * size)).map { i -> Float in
                    let x = Float(i % size), lo = Float(r * size / regions), hi = Float((r + 1) * size / regions)
                    return min(1, max(0, min(x - lo + 4, hi - x + 4) / 8))
                }
                return RegionPlan.Region(name: "band\(r)", mask: mask, styleSet: r, contentWeight: 1, styleWeight: 1)
            }
            let sets = try (0..<regions).map { r in
                try StyleTargets.compute(vgg: vgg, styles: [Self.syntheticTensor(size: size, seed: UInt64(2 + r))], blendWeights: [1],
                                         layerNames: parameters.styleLayers.map(\.name))
            }
            objective = try StyleObjective(vgg: vgg, parameters: parameters, content: content,
                                           regions: RegionPlan(width: size, height: size, regions: bands),
                                           styleTargets: sets, propagation: .inside)
        } else {
            objective = try StyleObjective(vgg: vgg, parameters: parameters, content: content, styleTargets: targets)
        }
        var x = content
        for i in 0..<x.count { x.data[i] += 0.5 * style.data[i] }
        var gradient = Tensor(channels: 3, height: size, width: size)
        _ = objective.evaluate(x, gradient: &gradient)  // warm-up: buffers, transformed weights
        let start = DispatchTime.now().uptimeNanoseconds
        var loss: Float = 0
        for _ in 0..<iterations { loss = objective.evaluate(x, gradient: &gradient).total }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
        let deepest = try (parameters.styleLayers + parameters.contentLayers).map { try vgg.layerIndex($0.name) }.max()!
        let gflop = Self.directConvolutionFLOPs(vgg: vgg, through: deepest, size: size) * 2 / 1e9
        print(String(format: "engine network=%@ pooling=%@ size=%d threads=%d regions=%d iterations=%d weights=%@ loss=%.6g peak_rss_mb=%.0f gflop_per_iter=%.1f effective_gflops=%.1f s_per_iter=%.4f",
                     vgg.network.rawValue, vgg.pooling.rawValue, size, EngineThreads.count, regions, iterations,
                     randomWeights ? "random" : "installed", Double(loss), Self.peakResidentMegabytes(), gflop,
                     gflop / seconds, seconds))
    }

    /// Multiply-adds ×2 of the direct 3×3 convolutions up to `last`, the work-equivalent of one forward pass.
    static func directConvolutionFLOPs(vgg: VGG, through last: Int, size: Int) -> Double {
        var side = size, total = 0.0
        for layer in vgg.layers.prefix(last + 1) {
            switch layer {
            case .convolution(let c): total += 2 * 9 * Double(c.inChannels * c.outChannels) * Double(side * side)
            case .pool: side /= 2
            }
        }
        return total
    }

    /// A smooth deterministic test pattern plus noise, in VGG units.
    static func syntheticTensor(size: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        var t = Tensor(channels: 3, height: size, width: size)
        for c in 0..<3 {
            for y in 0..<size {
                for x in 0..<size {
                    let wave = sinf(Float(x * (c + 1)) * 0.05 + Float(seed)) * cosf(Float(y) * 0.03 * Float(c + 2))
                    t[c, y, x] = 80 * wave + 20 * random.nextGaussian()
                }
            }
        }
        return t
    }

    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // Linux reports kilobytes
    }
}
