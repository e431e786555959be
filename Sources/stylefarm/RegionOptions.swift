import ArgumentParser
import Engine
import Foundation
import ModelStore

extension GuidePropagation: ExpressibleByArgument {}
extension RegionStylization.Mode: ExpressibleByArgument {}

/// `--segment` / `--region` options: segmentation-aware stylization (one style per region, or none).
struct RegionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Region masks: deeplab, deeplab-small, selfie, matte:PATH (alpha or gray) or ids:PATH (one flat colour per region).",
                               valueName: "source"))
    var segment: String?

    @Option(help: ArgumentHelp("NAME=STYLE_IMAGE or NAME=none (photoreal); repeat. NAME: a VOC class (person, dog, cat, …), foreground, an ID colour (#ff0000), or background (everything else).",
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

    @Option(help: "Write each resolved region mask as PNG into this folder (for checking).")
    var saveMasks: String?

    var isActive: Bool { segment != nil || !region.isEmpty }

    func validate() throws {
        guard isActive else { return }
        guard segment != nil else { throw ValidationError("--region needs --segment (deeplab, selfie, matte:PATH or ids:PATH)") }
        guard !region.isEmpty else {
            throw ValidationError("--segment needs at least one --region, e.g. --region person=none (keep people photoreal) or --region background=style.jpg")
        }
        _ = try source()
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

    /// The style targets of every set of `layout` (set 0: `defaultStyles` blended, when there are any).
    static func styleTargets(transfer: StyleTransfer, defaultStyles: [Image], layout: RegionStyleLayout,
                             parameters: StyleTransferParameters, limits: ImageLimits) throws -> [[StyleTargets]] {
        var targets: [[StyleTargets]] = []
        if !defaultStyles.isEmpty { targets.append(try transfer.styleTargets(styles: defaultStyles, parameters: parameters)) }
        for path in layout.regionStylePaths {
            let image = try ImageReader.read(path: path, limits: limits)
            targets.append(try transfer.styleTargets(styles: [image], blendWeights: [1], parameters: parameters))
        }
        return targets
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
