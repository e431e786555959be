import ArgumentParser
import Engine
import Foundation
import ModelStore

extension GuidePropagation: ExpressibleByArgument {}
extension RegionStylization.Mode: ExpressibleByArgument {}

/// `--segment` / `--region` options: segmentation-aware stylization (one style per region, or none).
struct RegionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Region masks: deeplab, deeplab-small, selfie, matte:PATH (alpha or gray), ids:PATH (one flat colour per region) or cryptomatte[:LAYER] (the OpenEXR content's Cryptomatte).",
                               valueName: "source"))
    var segment: String?

    @Option(help: ArgumentHelp("NAME=STYLE_IMAGE or NAME=none (photoreal); repeat. NAME: a VOC class (person, dog, cat, …), foreground, an ID colour (#ff0000), a Cryptomatte object name or glob (Suzanne, Rock*), or background (everything else).",
                               valueName: "name=style"))
    var region: [String] = []

    @Option(help: ArgumentHelp("Per-region weights, NAME:content=W,style=W (multiply --content-weight/--style-weight inside the region).",
                               valueName: "name:weights"))
    var regionWeight: [String] = []

    @Option(help: "How region guides follow the network: inside (eroded, no bleeding; default), average, all.")
    var guide: GuidePropagation = .inside

    @Option(help: "joint (one optimization, no seams; default) or composite (stylize apart, blend with feathered masks).")
    var regionMode: RegionStylization.Mode = .joint

    @Option(help: "Refine network masks with the dense CRF: on or off.")
    var segmentCrf: SegmentCommand.Switch = .on

    @Flag(help: "Take each region's style from the same region of its style image (segmented with --segment's network), e.g. a person's style from the painted person; default: the whole style image.")
    var styleRegions = false

    @Option(help: "Write each resolved region mask as PNG into this folder (for checking).")
    var saveMasks: String?

    var isActive: Bool { segment != nil || !region.isEmpty }

    func validate() throws {
        guard isActive else { return }
        guard segment != nil else { throw ValidationError("--region needs --segment (deeplab, selfie, matte:PATH, ids:PATH or cryptomatte)") }
        guard !region.isEmpty else {
            throw ValidationError("--segment needs at least one --region, e.g. --region person=none (keep people photoreal) or --region background=style.jpg")
        }
        if styleRegions, !(try source()).usesNetwork {
            throw ValidationError("--style-regions segments the style images, so it needs a network --segment (deeplab, deeplab-small or selfie)")
        }
        _ = try assignments()
    }

    func source() throws -> RegionSource {
        do { return try RegionSource(parsing: segment ?? "") } catch let error as RegionError { throw ValidationError(error.description) }
    }

    func assignments() throws -> [RegionAssignment] {
        do {
            var parsed = try region.map { try RegionAssignment(parsing: $0) }
            try RegionAssignment.applyWeights(regionWeight, to: &parsed)
            return parsed
        } catch let error as RegionError {
            throw ValidationError(error.description)
        }
    }

    /// Whether some region names `background`, so the job needs no `--style` of its own.
    var coversBackground: Bool {
        (try? assignments())?.contains { $0.name == "background" || $0.name == "rest" } ?? false
    }

    /// The mask maker for `--segment`, with the installed model for network sources.
    func makeMaskMaker(modelDir: String?) throws -> RegionMaskMaker {
        let source = try source()
        var modelPath: String? = nil
        if source.usesNetwork {
            let models = SegmentationModels(modelDirectory: ModelDirectory.resolve(explicit: modelDir))
            modelPath = try models.installedURL(source.description).path
        }
        return try RegionMaskMaker(source: source, modelPath: modelPath, crf: segmentCrf == .on ? DenseCRFParameters() : nil)
    }

    /// The style targets of every set of `layout` (set 0: `defaultStyles` blended, when there are any). With
    /// `styleMasks` (`--style-regions`), a region's set comes from the matching region of its style image.
    static func styleTargets(transfer: StyleTransfer, defaultStyles: [Image], layout: RegionStyleLayout,
                             parameters: StyleTransferParameters, limits: ImageLimits,
                             styleMasks: RegionMaskMaker? = nil, propagation: GuidePropagation = .inside,
                             warn: (String) -> Void = { _ in }) throws -> [[StyleTargets]] {
        var targets: [[StyleTargets]] = []
        if !defaultStyles.isEmpty { targets.append(try transfer.styleTargets(styles: defaultStyles, parameters: parameters)) }
        for (path, name) in zip(layout.regionStylePaths, layout.regionStyleNames) {
            let image = try ImageReader.read(path: path, limits: limits)
            if let styleMasks, let mask = try styleRegionMask(image, region: name, maker: styleMasks, parameters: parameters, warn: warn) {
                targets.append(try transfer.styleTargets(style: image, mask: mask, parameters: parameters, propagation: propagation))
            } else {
                targets.append(try transfer.styleTargets(styles: [image], blendWeights: [1], parameters: parameters))
            }
        }
        return targets
    }

    /// The mask of `region` in a style image at the image's size, or nil (with a warning) when the style
    /// image has (almost) none of it. `background` is everything but the style image's foreground.
    static func styleRegionMask(_ style: Image, region: String, maker: RegionMaskMaker, parameters: StyleTransferParameters,
                                warn: (String) -> Void) throws -> [Float]? {
        // Segment at the size the finest scale uses the style, then scale the mask back.
        let long = max(16, Int((Float(parameters.size) * parameters.styleScale).rounded()))
        let (w, h) = try Image.size(scaling: style.width, style.height, toLongerSide: min(long, max(style.width, style.height)))
        let masks = try maker.masks(for: style, width: w, height: h)
        let mask: [Float]
        if region == "background" || region == "rest" {
            mask = (masks.mask(named: "foreground") ?? [Float](repeating: 0, count: w * h)).map { 1 - $0 }
        } else if let m = masks.mask(named: region) {
            mask = m
        } else {
            throw ValidationError("--style-regions: the style image's segmentation has no region '\(region)'")
        }
        let share = mask.reduce(0, +) / Float(max(1, mask.count))
        guard share >= 0.01 else {
            warn(String(format: "the style image for '%@' has %.1f%% of that region; using the whole style image", region, 100 * share))
            return nil
        }
        return try RegionMasks.resample(mask, width: w, height: h, toWidth: style.width, height: style.height)
    }

    /// Writes the plan's masks as `<dir>/<name>.png`.
    static func save(_ plan: RegionPlan, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for region in plan.regions {
            let name = region.name.replacingOccurrences(of: "#", with: "id_")
            try ImageWriter.writePNG(Image(width: plan.width, height: plan.height, channels: 1, pixels: region.mask),
                                     to: (directory as NSString).appendingPathComponent("\(name).png"), bitDepth: 8)
        }
    }
}
