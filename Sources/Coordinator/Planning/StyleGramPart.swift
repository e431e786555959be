import Engine
import JobModel

/// One farm task's share of a job's style targets (`TaskRole.styleGrams`): the Gram sums (`GramSums`) of
/// cores `firstCore ..< firstCore + coreCount` of style image `style` scaled to `size` for scale `scale`.
///
/// A tiled 4K job's targets come from its style images scaled to the output resolution (13 Mpx for the
/// starry night at 4096 px): about half a minute of VGG passes on one machine. Split into parts, the
/// workers compute them side by side and the coordinator only adds the parts' sums and blends the styles
/// (`StyleTargets(blending:weights:)`), so it never runs the network for such a job.
public struct StyleGramPart: Sendable, Hashable, Codable {
    /// The scale of the coarse-to-fine run (0 = coarsest).
    public var scale: Int
    /// Index into the job's style images (blend order).
    public var style: Int
    /// The style image scaled for this scale (`StyleTransfer.styleSize`).
    public var size: PixelSize
    /// The core side of the image's grid (`GramSums.coreGrid`); the whole image when it is one core.
    public var core: Int
    public var firstCore: Int
    public var coreCount: Int
    /// The cores this part sums.
    public var cores: Range<Int> { firstCore ..< firstCore + coreCount }

    public init(scale: Int, style: Int, size: PixelSize, core: Int, firstCore: Int, coreCount: Int) {
        self.scale = scale; self.style = style; self.size = size; self.core = core
        self.firstCore = firstCore; self.coreCount = coreCount
    }

    /// How many cores one part sums (a 768² core with its halos is about a second of VGG-16 on one core).
    public static let coresPerPart = 4
    /// Exact tiles' frame statistics: frames above this many pixels are summed in parts of `frameCore` cores,
    /// smaller ones in one whole-frame pass. Constants, not the coordinator's style settings, so a plan never
    /// depends on how a coordinator was started.
    public static let framePassPixels = 1 << 20
    public static let frameCore = 768

    /// The parts of a job whose style images have `styleSizes` (original pixels), or none when every scale's
    /// style image fits one pass (`StyleTargets.tiledGramPixels`): then the coordinator computes the targets
    /// at submit, as for any job. Otherwise every scale and style image is split: images above the
    /// threshold into groups of `coresPerPart` cores of `StyleTargets.tiledGramCore`, the others into one
    /// part of one whole-image core (the same values as one pass).
    public static func plan(parameters: StyleTransferParameters, styleSizes: [PixelSize]) throws -> [StyleGramPart] {
        var parts: [StyleGramPart] = []
        var heavy = false
        for (scale, side) in parameters.scaleSizes.enumerated() {
            for (style, original) in styleSizes.enumerated() {
                let (w, h) = try StyleTransfer.styleSize(width: original.width, height: original.height, scaleSide: side,
                                                         styleScale: parameters.styleScale)
                let size = PixelSize(width: w, height: h)
                if w * h > StyleTargets.tiledGramPixels { heavy = true }
                let core = GramSums.core(width: w, height: h, passPixels: StyleTargets.tiledGramPixels, core: StyleTargets.tiledGramCore)
                for cores in GramSums.parts(width: w, height: h, core: core, perPart: coresPerPart) {
                    parts.append(StyleGramPart(scale: scale, style: style, size: size, core: core, firstCore: cores.lowerBound,
                                               coreCount: cores.count))
                }
            }
        }
        return heavy ? parts : []
    }
}
