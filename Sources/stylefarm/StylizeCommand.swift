import ArgumentParser
import Engine
import FarmWire
import Foundation
import Protocol

/// `stylefarm stylize`: one image, one process.
struct StylizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Stylize one image with one or more style images (Gatys et al. 2016).",
        discussion: """
            Example:
              stylefarm stylize --content photo.png --style starry.jpg --out result.png --size 512
            Several styles are blended by their Gram matrices:
              stylefarm stylize --content c.png --style a.jpg --style b.jpg --style-weights 0.7,0.3 --out o.png
            Segmentation-aware (guided Gram matrices, Gatys et al. 2017): keep people photoreal in a painted world,
            or give them their own style:
              stylefarm stylize --content c.png --style starry.jpg --segment deeplab --region person=none --out o.png
              stylefarm stylize --content c.png --segment selfie --region person=a.jpg --region background=b.jpg --out o.png
            """)

    @Option(help: "Content image (PNG, JPEG or OpenEXR).")
    var content: String

    @Option(help: "The content's colour space: srgb, linear-rec709 or acescg (default: linear-rec709 for OpenEXR, srgb otherwise), or with an OpenColorIO config any of its spaces.")
    var inputColorspace: String?

    @Option(help: "An OpenColorIO config for --input-colorspace (default $OCIO): any of its colour spaces, roles or DISPLAY/VIEW pairs.")
    var ocioConfig: String?

    @Option(help: "The OpenEXR layer to stylize (its channels are LAYER.R, LAYER.G, …; default: the unnamed layer).")
    var layer: String?

    @Option(help: "OpenEXR output compression: none, rle, zips, zip, piz, pxr24, b44, b44a, dwaa or dwab.")
    var exrCompression: String = "zip"

    @Flag(help: "Write OpenEXR output as 32-bit float (default: 16-bit half).")
    var exrFloat = false

    @Option(help: "Style image (PNG or JPEG); repeat for several styles. With --region, the style of every pixel no region claims.")
    var style: [String] = []

    @Option(help: "Blend weights of the style images, comma-separated (default: equal).")
    var styleWeights: String?

    @Option(help: "Output path: .exr writes OpenEXR in the content's colour space (linear Rec.709 for an sRGB plate) with its alpha; anything else PNG.")
    var out: String

    @Option(help: "Longer side of the output in pixels.")
    var size: Int = 512

    @Option(help: "Objective evaluations (forward + backward passes) per scale.")
    var iterations: Int = 500

    @Option(help: "Optimizer: lbfgs or adam.")
    var optimizer: OptimizerChoice = .lbfgs

    @Option(help: "L-BFGS history length.")
    var lbfgsHistory: Int = 10

    @Option(help: "Adam learning rate (0–255 pixel units).")
    var learningRate: Float = 5

    @Option(help: "Content loss weight.")
    var contentWeight: Float = StyleTransferParameters().contentWeight

    @Option(help: "Style loss weight.")
    var styleWeight: Float = StyleTransferParameters().styleWeight

    @Option(help: "Total-variation (smoothness) weight.")
    var tvWeight: Float = StyleTransferParameters().tvWeight

    @Option(help: "Style layers, comma-separated, optionally name:weight.")
    var styleLayers: String = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(help: "Content layers, comma-separated, optionally name:weight.")
    var contentLayers: String = "relu4_2"

    @Option(help: "Style image scale relative to --size.")
    var styleScale: Float = 1

    @Option(name: .customLong("init"), help: "Initialization: content (default) or noise.")
    var initialization: StyleTransferParameters.Initialization = .content

    @Option(help: "Coarse-to-fine scales (each doubles the size).")
    var scales: Int = 1

    @Flag(help: "Transfer luminance only; keep the content image's colours.")
    var originalColors = false

    @Option(help: "Seed for anything random.")
    var seed: UInt64 = 0

    @Option(help: "Output bit depth: 8 or 16.")
    var bitDepth: Int = 8

    @Option(help: "Refuse input images above this many pixels.")
    var maxPixels: Int = ImageLimits().maxPixels

    @OptionGroup var engine: EngineOptions

    @OptionGroup(title: "Regions") var regions: RegionOptions

    @OptionGroup(title: "Temporal consistency") var temporal: TemporalOptions

    enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable { case lbfgs, adam }

    func validate() throws {
        if bitDepth != 8 && bitDepth != 16 { throw ValidationError("--bit-depth must be 8 or 16 (got \(bitDepth))") }
        _ = try parameters()
        _ = try temporal.previousMaskPath(segment: regions.isActive ? regions.source() : nil)
    }

    /// The engine parameters these options describe.
    func parameters() throws -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.network = engine.network
        p.pooling = engine.pooling
        p.size = size
        p.iterations = iterations
        p.optimizer = optimizer == .lbfgs ? .lbfgs(history: lbfgsHistory) : .adam(learningRate: learningRate)
        p.contentWeight = contentWeight
        p.styleWeight = styleWeight
        p.tvWeight = tvWeight
        p.styleLayers = try LayerList.parse(styleLayers, option: "--style-layers")
        p.contentLayers = try LayerList.parse(contentLayers, option: "--content-layers")
        p.styleScale = styleScale
        p.initialization = initialization
        p.scales = scales
        p.originalColors = originalColors
        p.seed = seed
        if let styleWeights {
            p.styleBlendWeights = try styleWeights.split(separator: ",").map {
                guard let v = Float($0.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--style-weights: '\($0)' is not a number")
                }
                return v
            }
        }
        // With regions, the job's own --style may be absent (every region names its style).
        let styleCount = regions.isActive && style.isEmpty && regions.coversBackground ? 1 : style.count
        do { try p.validate(styleCount: styleCount) } catch let error as StyleTransferError {
            throw ValidationError(error.description)
        }
        return p
    }

    func run() throws {
        let parameters = try parameters()
        let limits = ImageLimits(maxPixels: maxPixels)
        let space = try inputColorspace.map { try PlateColorSpace.option($0, config: ocioConfig) }
        guard let compression = OpenEXR.Compression(name: exrCompression) else {
            throw ValidationError("--exr-compression takes \(OpenEXR.Compression.allCases.map(\.description).joined(separator: ", ")) (got \(exrCompression))")
        }
        let plate = try Plate.read(path: content, colorSpace: space, layer: layer, limits: limits)
        let contentImage = plate.working
        let styleImages = try style.map { try Plate.read(path: $0, limits: limits).working }
        let vgg = try engine.makeNetwork()
        let reporter = ProgressReporter(label: "stylize", totalScales: parameters.scales)
        let transfer = StyleTransfer(vgg: vgg)
        let result: StyleTransferResult
        let (outWidth, outHeight) = try Image.size(scaling: contentImage.width, contentImage.height, toLongerSide: parameters.size)
        let previousContent = try temporal.previousContentImage(colorSpace: space, layer: layer, limits: limits)
        let pair = try temporal.flowPair(previous: previousContent, content: contentImage, width: outWidth, height: outHeight)
        let temporalTargets = try temporal.targets(pair: pair, width: outWidth, height: outHeight,
                                                   contentWeight: parameters.contentWeight, limits: limits)
        // A plate with transparent pixels: they are left out of the style statistics, as on the farm.
        let alpha = try plate.alpha(width: contentImage.width, height: contentImage.height, toLongerSide: parameters.size)
        if regions.isActive {
            let previous = previousContent.flatMap { image in pair.map { (content: image, pair: $0) } }
            result = try stylizeRegions(transfer: transfer, content: contentImage, styles: styleImages,
                                        parameters: parameters, limits: limits, temporal: temporalTargets,
                                        previous: previous, alpha: alpha, reporter: reporter)
        } else {
            // As a farm worker renders a whole frame: the job's targets, the plate's transparent pixels left out.
            let targets = try transfer.styleTargets(styles: styleImages, parameters: parameters)
            result = try transfer.stylize(plate: plate, styleTargets: targets, parameters: parameters, temporal: temporalTargets) {
                reporter.report($0)
                return true
            }
        }
        reporter.finish()
        // OpenEXR gets the plate's scene-linear space, alpha and other layers back; a PNG is the working space itself.
        let encoding = FrameEncoding.forPath(out, bitDepth: bitDepth, half: !exrFloat, compression: compression)
        var provenance = Provenance()
        provenance[.engine] = Provenance.engineVersion
        provenance[.threads] = String(EngineThreads.count)
        provenance[.contentPath] = content
        provenance[.content] = BlobName.of(try FileBytes.readFile(path: content, maxBytes: max(0, limits.maxFileBytes)))
        provenance[.styles] = try style.map { BlobName.of(try FileBytes.readFile(path: $0, maxBytes: max(0, limits.maxFileBytes))) }.joined(separator: ",")
        provenance[.stylePaths] = style.joined(separator: "\n")
        provenance[.parameters] = (try? Stylefarm_V1_EngineParameters(parameters, outputBitDepth: bitDepth).jsonString()) ?? ""
        provenance[.inputColorspace] = space?.name
        if case .ocio(let conversion) = space {
            provenance[.ocioConfig] = conversion.config
            provenance[.ocioConversion] = conversion.blobName
        }
        provenance[.layer] = layer
        if regions.isActive { provenance[.segment] = ([regions.segment ?? ""] + regions.region).joined(separator: " ") }
        if temporal.previousOutput != nil { provenance[.temporal] = "previous frame" }
        try FileBytes.writeAtomically(try plate.encode(result.image, as: encoding, attributes: provenance.attributes, name: out),
                                      to: out)
        let f = result.finalLosses, i = result.initialLosses
        print(String(format: "wrote %@ (%dx%d) evaluations=%d content=%.4g style=%.4g (from %.4g) tv=%.4g%@ total=%.4g",
                     out, result.image.width, result.image.height, result.evaluations,
                     Double(f.content), Double(f.style), Double(i.style), Double(f.totalVariation),
                     temporalTargets == nil ? "" : String(format: " temporal=%.4g", Double(f.temporal)), Double(f.total)))
    }
}

extension StylizeCommand {
    /// `--segment`/`--region`: masks at the output size (with `previous`, the previous frame's content and
    /// the flow pair to it, stabilized with the previous frame's masks like a farm region task with a
    /// temporal neighbour), one style set per distinct style, guided objective.
    func stylizeRegions(transfer: StyleTransfer, content: Image, styles: [Image], parameters: StyleTransferParameters,
                        limits: ImageLimits, temporal: TemporalTargets?, previous: (content: Image, pair: FlowPair)? = nil,
                        alpha: Image? = nil, reporter: ProgressReporter) throws -> StyleTransferResult {
        let assignments = try regions.assignments()
        let layout = RegionStyleLayout(assignments: assignments, hasDefaultStyle: !styles.isEmpty, perRegion: regions.styleRegions)
        let (w, h) = try Image.size(scaling: content.width, content.height, toLongerSide: parameters.size)
        let maker = try regions.makeMaskMaker(modelDir: engine.modelDir)
        maker.regionNames = assignments.map(\.name)
        // A Cryptomatte is read from the content frame itself.
        let ownMasks: String? = { if case .cryptomatte = maker.source { return self.content } else { return nil } }()
        var masks = try maker.masks(for: content, width: w, height: h, maskPath: ownMasks)
        if let previous, !maker.source.isExact {
            // matte:/ids: use --previous-segment's file for the previous frame, else --segment's (one file for
            // both frames); network sources segment --previous-content.
            // A Cryptomatte is read from --previous-content itself.
            let maskPath = ownMasks != nil ? self.temporal.previousContent : try self.temporal.previousMaskPath(segment: try regions.source())
            let previousMasks = try maker.masks(for: previous.content, width: w, height: h, maskPath: maskPath)
            masks = try masks.stabilized(neighbours: [(masks: previousMasks, pair: previous.pair, neighbourIsFirst: true)])
        }
        var plan: RegionPlan
        do {
            plan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                          defaultStyleSet: layout.defaultSet)
        } catch let error as RegionError {
            throw ValidationError(error.description)
        }
        // The plate's transparent pixels stay out of every region's style statistics, as on the farm.
        if let alpha, alpha.width == plan.width, alpha.height == plan.height { plan = plan.excludingTransparent(alpha: alpha.pixels) }
        for warning in plan.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if let dir = regions.saveMasks { try RegionOptions.save(plan, to: dir) }
        let targets = try RegionOptions.styleTargets(
            transfer: transfer, defaultStyles: styles, layout: layout, parameters: parameters, limits: limits,
            styleMasks: regions.styleRegions ? maker : nil, propagation: regions.guide,
            warn: { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) })
        let summary = plan.regions.map { r in
            String(format: "%@ %.1f%% %@", r.name, 100 * r.share, r.styleSet.map { "style \($0)" } ?? "photoreal")
        }
        print("regions: " + summary.joined(separator: ", "))
        let setup = RegionStylization(plan: plan, propagation: regions.guide, mode: regions.regionMode)
        let sized = try content.toRGB().resized(width: w, height: h)
        var result = try transfer.stylize(content: sized, regions: setup, styleTargets: targets, parameters: parameters, temporal: temporal) {
            reporter.report($0)
            return true
        }
        // Photoreal regions (NAME=none) are the content itself, as on the farm.
        result.image = plan.restoringPhotoreal(result.image, content: sized)
        return result
    }
}

/// Parses `relu1_1,relu2_1:0.5` style layer lists.
enum LayerList {
    static func parse(_ text: String, option: String) throws -> [StyleTransferParameters.WeightedLayer] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("\(option): empty layer name") }
            var weight: Float = 1
            if parts.count == 2 {
                guard let w = Float(parts[1]), w >= 0, w.isFinite else {
                    throw ValidationError("\(option): weight '\(parts[1])' of \(name) is not a non-negative number")
                }
                weight = w
            }
            return StyleTransferParameters.WeightedLayer(name, weight: weight)
        }
    }
}
