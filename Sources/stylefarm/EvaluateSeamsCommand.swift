import ArgumentParser
import Coordinator
import Engine
import Foundation

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

            Prints: tiles=CxR seam_ratio=... [untiled_seam_ratio=... ratio_vs_untiled=... mean_abs_diff=...]

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
        if let untiled {
            let whole = try ImageReader.read(path: untiled)
            guard whole.width == tiled.width, whole.height == tiled.height else {
                throw ValidationError("--untiled is \(whole.width)x\(whole.height), --image \(tiled.width)x\(tiled.height)")
            }
            let baseline = try SeamMeasure.seamRatio(whole, layout: layout)
            let difference = try SeamMeasure.meanAbsoluteDifference(tiled.toRGB(), whole.toRGB())
            line += " untiled_seam_ratio=\(Self.format(baseline.ratio)) ratio_vs_untiled=\(Self.format(own.ratio / baseline.ratio))"
            line += " mean_abs_diff=\(Self.format(difference))"
        }
        print(line)
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }
}
