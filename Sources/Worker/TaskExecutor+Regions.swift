import Engine
import Foundation
import Protocol

/// Finds the installed model file of a segmentation network by its `--segment` name (`deeplab`,
/// `deeplab-small`, `selfie`); throws when it is not installed (the worker process passes
/// `SegmentationModels.installedURL` of its model directory).
public typealias SegmentationModelLocator = @Sendable (String) throws -> String

/// The region mask makers of a worker, one per (source, CRF) pair, kept across tasks so each
/// segmentation network is loaded once. Mask making is serialized: one segmenter serves one frame at a time.
final class MaskMakerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var makers: [String: RegionMaskMaker] = [:]

    /// Runs `body` with the maker for `source` (made by `make` on first use), under the cache's lock.
    func with<T>(_ source: RegionSource, crf: Bool, make: () throws -> RegionMaskMaker,
                 _ body: (RegionMaskMaker) throws -> T) throws -> T {
        try lock.withLock {
            let key = "\(source)|crf=\(crf)"
            let maker: RegionMaskMaker
            if let known = makers[key] {
                maker = known
            } else {
                maker = try make()
                makers[key] = maker
            }
            return try body(maker)
        }
    }
}

extension TaskExecutor {
    /// A segmentation-aware STYLIZE task, step for step as `stylefarm stylize --segment … --region …`:
    /// masks at the output size (the network run here, or the frame's matte / ID map), the plan resolved
    /// against the assignments (empty regions are skipped with a warning in the worker log), one set of
    /// targets per style set (`region_style_targets`, computed once per job by the coordinator), and the
    /// guided objective on the content scaled to the output size.
    func stylizeRegions(_ task: Stylefarm_V1_TaskAssignment, content: Image, parameters: StyleTransferParameters,
                        vgg: VGG, frame: String, temporal: TemporalTargets?,
                        progress: @escaping (StyleTransferProgress) -> Bool) throws -> StyleTransferResult {
        let spec = task.regions
        let source: RegionSource
        do {
            source = try RegionSource(parsing: spec.segment)
        } catch let error as RegionError {
            throw TaskExecutionError.invalidParameters("\(frame): \(error.description)")
        }
        guard !spec.regions.isEmpty else {
            throw TaskExecutionError.invalidParameters("\(frame): a region stylization needs at least one region")
        }
        let assignments = spec.regions.map {
            RegionAssignment(name: $0.name, style: $0.stylePath.isEmpty ? .none : .image($0.stylePath),
                             contentWeight: $0.contentWeight, styleWeight: $0.styleWeight)
        }
        let layout = RegionStyleLayout(assignments: assignments, hasDefaultStyle: !task.styles.isEmpty)
        guard task.regionStyleTargets.count == layout.setCount else {
            throw TaskExecutionError.invalidParameters("\(frame): \(task.regionStyleTargets.count) region style-target sets for \(layout.setCount) style set(s)")
        }
        for (set, targets) in task.regionStyleTargets.enumerated() where targets.hashes.count != parameters.scales {
            throw TaskExecutionError.invalidParameters("\(frame): style set \(set) has \(targets.hashes.count) target blobs for \(parameters.scales) scale(s)")
        }
        let propagation: GuidePropagation
        switch spec.guide {
        case .unspecified, .inside: propagation = .inside
        case .average: propagation = .average
        case .all: propagation = .all
        case .UNRECOGNIZED(let v): throw TaskExecutionError.invalidParameters("\(frame): unknown guide propagation \(v)")
        }
        let mode: RegionStylization.Mode
        switch spec.mode {
        case .unspecified, .joint: mode = .joint
        case .composite: mode = .composite
        case .UNRECOGNIZED(let v): throw TaskExecutionError.invalidParameters("\(frame): unknown region mode \(v)")
        }

        let (w, h) = try Image.size(scaling: content.width, content.height, toLongerSide: parameters.size)
        let masks = try regionMasks(task, source: source, crf: !spec.crfDisabled, content: content, width: w, height: h, frame: frame)
        let plan: RegionPlan
        do {
            plan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                          defaultStyleSet: layout.defaultSet)
        } catch let error as RegionError {
            throw TaskExecutionError.badInput(input: "\(frame) regions", reason: error.description)
        }
        for warning in plan.warnings { log("\(frame): warning: \(warning)") }

        let targets = try task.regionStyleTargets.enumerated().map { set, targets in
            try targets.hashes.enumerated().map { scale, hash in
                let bytes = try fetch(hash, role: "style targets of set \(set) scale \(scale)")
                do {
                    return try StyleTargets(serialized: bytes)
                } catch let error as StyleTargetsSerializationError {
                    throw TaskExecutionError.badInput(input: "\(frame) style targets \(hash)", reason: error.description)
                }
            }
        }
        let setup = RegionStylization(plan: plan, propagation: propagation, mode: mode)
        return try StyleTransfer(vgg: vgg).stylize(content: try content.toRGB().resized(width: w, height: h), regions: setup,
                                                   styleTargets: targets, parameters: parameters, temporal: temporal,
                                                   progress: progress)
    }

    /// The frame's region masks at `width`×`height`: from the segmentation network (loaded once per worker),
    /// or from the frame's matte / ID map (`region_mask_path` in shared-filesystem mode, else the
    /// `region_mask` blob).
    private func regionMasks(_ task: Stylefarm_V1_TaskAssignment, source: RegionSource, crf: Bool, content: Image,
                             width: Int, height: Int, frame: String) throws -> RegionMasks {
        do {
            switch source {
            case .deeplab, .deeplabSmall, .selfie:
                return try maskMakers.with(source, crf: crf, make: {
                    try RegionMaskMaker(source: source, modelPath: try segmentationModelPath(source),
                                        crf: crf ? DenseCRFParameters() : nil)
                }) { maker in
                    try maker.masks(for: content, width: width, height: height)
                }
            case .matte, .ids:
                let bytes: [UInt8]
                let name: String
                if !task.regionMaskPath.isEmpty {
                    name = task.regionMaskPath
                    do {
                        bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: task.regionMaskPath)))
                    } catch {
                        throw TaskExecutionError.badInput(input: task.regionMaskPath, reason: "cannot read the region mask on the shared filesystem: \(error.localizedDescription)")
                    }
                } else {
                    guard !task.regionMask.sha256.isEmpty else {
                        throw TaskExecutionError.invalidParameters("\(frame): --segment \(source) needs the frame's mask (region_mask)")
                    }
                    name = "\(frame) mask"
                    bytes = try fetch(task.regionMask.sha256, role: "region mask")
                }
                let image = try decode(bytes, name: name)
                if case .matte = source {
                    return try RegionMasks(matte: image, source: "matte \(name)", width: content.width, height: content.height)
                        .resized(width: width, height: height)
                }
                return try RegionMasks(idMap: image, source: "ID map \(name)", width: content.width, height: content.height)
                    .resized(width: width, height: height)
            }
        } catch let error as TaskExecutionError {
            throw error
        } catch let error as BlobStoreError {
            throw error
        } catch let error as RegionError {
            throw TaskExecutionError.badInput(input: "\(frame) regions", reason: error.description)
        } catch {
            throw TaskExecutionError.engine("\(frame): region masks: \(error)")
        }
    }

    /// The installed model file for a network source, or `missingModel` naming the install command.
    private func segmentationModelPath(_ source: RegionSource) throws -> String {
        let hint = "run `stylefarm models install --segmentation` on this worker (or give it --model-dir)"
        guard let segmentationModel else {
            throw TaskExecutionError.missingModel("--segment \(source) needs the segmentation model, and this worker has no model directory; \(hint)")
        }
        do {
            return try segmentationModel(source.description)
        } catch {
            let message = "\(error)"
            throw TaskExecutionError.missingModel(message.contains("models install --segmentation") ? message : "\(message); \(hint)")
        }
    }
}
