import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel
import ModelStore

/// `stylefarm evaluate seams`: how visible the tile seams of a tiled render are (`SeamMeasure`), and how far
/// it is from an untiled render of the same frame.
struct EvaluateSeamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seams",
        abstract: "Seam ratio of a tiled render (gradient energy across tile boundaries vs elsewhere), and its difference from an untiled render.",
        discussion: """
            The tile boundaries are the core edges of the plan the coordinator makes for a frame of this size \
            with the same tile budget (--tile-size or --max-tile-pixels) and network. The seam ratio is the mean \
            squared neighbour difference across those boundaries over the mean everywhere else: about 1 when \
            the boundaries look like the rest of the image. A render has its own texture, so compare it with \
            the untiled render's ratio on the same lines (--untiled), printed with the mean absolute difference \
            of the two images (values in [0, 1]).

            With --style, also how well the frame as a whole matches the style's Gram statistics and how far the \
            tiles drift from each other: style_error is the mean over the style layers of |G(frame) - A| / |A| \
            (A: the style's targets at the frame's size, as a one-scale run computes them), tile_drift the mean \
            over tiles and layers of |G(tile core) - G(frame)| / |G(frame)| (each core through the network alone).

            Prints: tiles=CxR seam_ratio=... [untiled_seam_ratio=... ratio_vs_untiled=... mean_abs_diff=...] \
            [style_error=... tile_drift=... [untiled_style_error=... untiled_tile_drift=...]]

            Example:
              stylefarm evaluate seams --image tiled/f.0001.png --untiled whole/f.0001.png --tile-size 640
            """)

    @Option(help: "The tiled render (PNG or JPEG).")
    var image: String

    @Option(help: "An untiled render of the same frame, for the baseline ratio and the difference.")
    var untiled: String?

    @Option(help: "The tile budget the render used: largest tile side, halo included.")
    var tileSize: Int?

    @Option(help: "The tile budget the render used: largest tile area, halo included.")
    var maxTilePixels: Int?

    @Option(help: "The network the render used (its receptive field sets the halo): vgg16 or vgg19.")
    var network: String = "vgg16"

    @Option(help: "The style image the render used: also print style_error and tile_drift (needs the VGG weights).")
    var style: String?

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func validate() throws {
        if (tileSize == nil) == (maxTilePixels == nil) {
            throw ValidationError("give the render's tile budget: --tile-size or --max-tile-pixels (one of them)")
        }
    }

    func run() throws {
        let tiled = try ImageReader.read(path: image)
        var parameters = StyleTransferParameters()
        guard let net = VGGNetwork(rawValue: network) else {
            throw ValidationError("--network must be vgg16 or vgg19 (got \(network))")
        }
        parameters.network = net
        let budget: TileBudget = tileSize.map { .tileSide($0) } ?? .maxTilePixels(maxTilePixels!)
        let plan = try JobPlanner.tilePlans(parameters, frameSize: PixelSize(width: tiled.width, height: tiled.height),
                                            budget: budget).last!
        guard !plan.isSingleTile else {
            throw ValidationError("a \(tiled.width)x\(tiled.height) frame is one tile under \(budget): there are no seams to measure")
        }
        let layout = try plan.layout()
        let own = try SeamMeasure.seamRatio(tiled, layout: layout)
        var line = "tiles=\(plan.columns)x\(plan.rows) seam_ratio=\(Self.format(own.ratio))"
        let whole = try untiled.map { try ImageReader.read(path: $0) }
        if let whole {
            guard whole.width == tiled.width, whole.height == tiled.height else {
                throw ValidationError("--untiled is \(whole.width)x\(whole.height), --image \(tiled.width)x\(tiled.height)")
            }
            let baseline = try SeamMeasure.seamRatio(whole, layout: layout)
            let difference = try SeamMeasure.meanAbsoluteDifference(tiled.toRGB(), whole.toRGB())
            line += " untiled_seam_ratio=\(Self.format(baseline.ratio)) ratio_vs_untiled=\(Self.format(own.ratio / baseline.ratio))"
            line += " mean_abs_diff=\(Self.format(difference))"
        }
        if let style {
            let statistics = try StyleStatistics(stylePath: style, parameters: parameters, modelDir: modelDir,
                                                 width: tiled.width, height: tiled.height)
            let own = try statistics.measure(tiled, cores: plan.tiles.map(\.core))
            line += " style_error=\(Self.format(own.error)) tile_drift=\(Self.format(own.drift))"
            if let whole {
                let baseline = try statistics.measure(whole, cores: plan.tiles.map(\.core))
                line += " untiled_style_error=\(Self.format(baseline.error)) untiled_tile_drift=\(Self.format(baseline.drift))"
            }
        }
        print(line)
    }

    /// The style's Gram targets at a frame's size, and how a render's statistics compare with them.
    struct StyleStatistics {
        let vgg: VGG
        let layers: [String]
        let targets: StyleTargets

        init(stylePath: String, parameters base: StyleTransferParameters, modelDir: String?, width: Int, height: Int) throws {
            var parameters = base
            parameters.size = max(width, height)
            parameters.scales = 1
            let store = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
            vgg = try store.vggCache().vgg(parameters.network, pooling: parameters.pooling)
            layers = parameters.styleLayers.map(\.name)
            targets = try StyleTransfer(vgg: vgg).styleTargets(styles: [try ImageReader.read(path: stylePath)], parameters: parameters)[0]
        }

        /// The mean relative distance of `image`'s Gram matrices to the targets, and of each core's to the image's.
        func measure(_ image: Image, cores: [TaskRegion]) throws -> (error: Double, drift: Double) {
            let tensor = VGGPreprocessing.tensor(from: image.toRGB())
            let core = GramSums.core(width: tensor.width, height: tensor.height, passPixels: StyleTargets.tiledGramPixels,
                                     core: StyleTargets.tiledGramCore)
            let grid = GramSums.coreGrid(width: tensor.width, height: tensor.height, core: core)
            let frame = try GramSums.compute(vgg: vgg, style: tensor, layerNames: layers, core: core,
                                             cores: 0..<(grid.columns * grid.rows)).grams()
            let error = zip(frame, targets.layers).map { Self.relative($0, $1.gram) }.reduce(0, +) / Double(frame.count)
            var drift = 0.0
            for rect in cores {
                let crop = tensor.cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
                let grams = try GramSums.compute(vgg: vgg, style: crop, layerNames: layers,
                                                 core: GramSums.wholeImageCore(width: crop.width, height: crop.height), cores: 0..<1).grams()
                drift += zip(grams, frame).map { Self.relative($0, $1) }.reduce(0, +) / Double(grams.count)
            }
            return (error, drift / Double(max(1, cores.count)))
        }

        static func relative(_ a: [Float], _ b: [Float]) -> Double {
            var difference = 0.0, norm = 0.0
            for i in 0..<min(a.count, b.count) {
                difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
                norm += Double(b[i]) * Double(b[i])
            }
            return (difference / max(norm, 1e-30)).squareRoot()
        }
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }
}
