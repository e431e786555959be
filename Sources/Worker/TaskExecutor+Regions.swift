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
                        vgg: VGG, frame: String, temporal: TemporalTargets?, pairs: [FlowPair] = [],
                        tile: TileWork? = nil, fullContent: Image? = nil, alpha: Image? = nil,
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
        let crf = !spec.crfDisabled
        let maskInput = RegionMaskInput(path: task.regionMaskPath, sha256: task.regionMask.sha256,
                                        name: "\(frame) mask", role: "region mask")
        // A Cryptomatte is the renderer's own coverage of each frame, exact where it moves: nothing to stabilize.
        let stabilize = task.hasTemporal && !task.temporal.neighbours.isEmpty && !source.isExact
        var masks: RegionMasks
        if let tile {
            // A tile: the whole frame's masks (stabilized over the whole frame, the flows scaled to the masks'
            // size), cropped (TaskExecutor+Tiles.swift).
            masks = try tileMasks(task, tile: tile, fullContent: fullContent ?? content) { full, mw, mh in
                let made = try regionMasks(source: source, crf: crf, content: full, mask: maskInput, names: assignments.map(\.name),
                                           width: mw, height: mh, frame: frame)
                guard stabilize else { return made }
                return try stabilizedMasks(made, task: task, source: source, crf: crf,
                                           pairs: pairs.map { $0.resampled(width: mw, height: mh) }, frame: frame)
            }
        } else {
            masks = try regionMasks(source: source, crf: crf, content: content, mask: maskInput, names: assignments.map(\.name),
                                    width: w, height: h, frame: frame)
            if stabilize { masks = try stabilizedMasks(masks, task: task, source: source, crf: crf, pairs: pairs, frame: frame) }
        }
        var plan: RegionPlan
        do {
            plan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                          defaultStyleSet: layout.defaultSet)
        } catch let error as RegionError {
            throw TaskExecutionError.badInput(input: "\(frame) regions", reason: error.description)
        }
        // The plate's transparent pixels stay out of every region's style statistics.
        if let alpha, alpha.width == plan.width, alpha.height == plan.height { plan = plan.excludingTransparent(alpha: alpha.pixels) }
        for warning in plan.warnings {
            log("\(frame): warning: \(warning)")
            TaskLog.current?.append("warning: \(warning)")
        }

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
        let sized = try content.toRGB().resized(width: w, height: h)
        var result = try StyleTransfer(vgg: vgg, contentCache: contentFeatures)
            .stylize(content: sized, regions: setup, styleTargets: targets, parameters: parameters, temporal: temporal, progress: progress)
        result.image = plan.restoringPhotoreal(result.image, content: sized)
        return result
    }

    /// This frame's masks smoothed with its temporal neighbours' masks (`RegionMasks.stabilized`, exactly
    /// as `stylefarm stylize --previous-*` does): each neighbour's masks are made like this frame's (same
    /// source and CRF, at the output size) from the neighbour's content frame or mask image that the
    /// coordinator names in `TemporalNeighbour`, then warped into this frame with the neighbour's flow pair.
    private func stabilizedMasks(_ masks: RegionMasks, task: Stylefarm_V1_TaskAssignment, source: RegionSource, crf: Bool,
                                 pairs: [FlowPair], frame: String) throws -> RegionMasks {
        let neighbours = task.temporal.neighbours
        guard pairs.count == neighbours.count else {
            throw TaskExecutionError.invalidParameters("\(frame): \(pairs.count) flow pairs for \(neighbours.count) temporal neighbours")
        }
        let made = try zip(neighbours, pairs).enumerated().map { (i, element) -> (masks: RegionMasks, pair: FlowPair, neighbourIsFirst: Bool) in
            let (neighbour, pair) = element
            let role = "temporal neighbour \(i)"
            guard !neighbour.contentPath.isEmpty || !neighbour.content.sha256.isEmpty else {
                throw TaskExecutionError.invalidParameters("\(frame): a region task with temporal neighbours needs each neighbour's content frame (\(role) has none); is the coordinator older than this worker? Upgrade it")
            }
            let contentBytes = try input(path: neighbour.contentPath, sha256: neighbour.content.sha256, role: "\(role)'s content frame")
            let content = try decodePlate(contentBytes, name: "\(frame) \(role) content", task: task).working
            let made = try regionMasks(source: source, crf: crf, content: content,
                                       mask: RegionMaskInput(path: neighbour.regionMaskPath, sha256: neighbour.regionMask.sha256,
                                                             name: "\(frame) \(role) mask", role: "\(role) region mask"),
                                       names: masks.names, width: masks.width, height: masks.height, frame: "\(frame) \(role)")
            return (masks: made, pair: pair, neighbourIsFirst: neighbour.neighbourIsFirst)
        }
        do {
            return try masks.stabilized(neighbours: made)
        } catch let error as TemporalError {
            throw TaskExecutionError.badInput(input: "\(frame) temporal region masks", reason: error.description)
        } catch {
            throw TaskExecutionError.engine("\(frame): stabilizing the region masks: \(error)")
        }
    }

    /// Where a frame's matte / ID map comes from (matte:/ids: sources): `path` on the shared filesystem when
    /// set, else the blob `sha256`. `name` appears in decode errors, `role` in missing-blob errors.
    struct RegionMaskInput {
        var path: String
        var sha256: String
        var name: String
        var role: String
    }

    /// A frame's region masks at `width`×`height`: from the segmentation network run on `content` (loaded
    /// once per worker), or from the frame's matte / ID map (`mask`). Used for the task's own frame and,
    /// unchanged, for its temporal neighbours, so both are made the same way.
    private func regionMasks(source: RegionSource, crf: Bool, content: Image, mask: RegionMaskInput, names: [String],
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
                guard !mask.path.isEmpty || !mask.sha256.isEmpty else {
                    throw TaskExecutionError.invalidParameters("\(frame): --segment \(source) needs the frame's mask (region_mask)")
                }
                let name = mask.path.isEmpty ? mask.name : mask.path
                let bytes = try input(path: mask.path, sha256: mask.sha256, role: mask.role)
                let image = try decode(bytes, name: name)
                if case .matte = source {
                    return try RegionMasks(matte: image, source: "matte \(name)", width: content.width, height: content.height)
                        .resized(width: width, height: height)
                }
                return try RegionMasks(idMap: image, source: "ID map \(name)", width: content.width, height: content.height)
                    .resized(width: width, height: height)
            case .cryptomatte:
                // The mask input is the OpenEXR content frame itself: its Cryptomatte channels and manifest.
                guard !mask.path.isEmpty || !mask.sha256.isEmpty else {
                    throw TaskExecutionError.invalidParameters("\(frame): --segment \(source) needs the frame's OpenEXR file (region_mask)")
                }
                let name = mask.path.isEmpty ? mask.name : mask.path
                let bytes = try input(path: mask.path, sha256: mask.sha256, role: mask.role)
                let masks = try RegionMasks.cryptomatte(exr: bytes, selector: source.description, names: names, source: name)
                guard masks.width == content.width, masks.height == content.height else {
                    throw RegionError.maskSizeMismatch(source: "Cryptomatte of \(name)", width: masks.width, height: masks.height,
                                                       expectedWidth: content.width, expectedHeight: content.height)
                }
                return try masks.resized(width: width, height: height)
            }
        } catch let error as TaskExecutionError {
            throw error
        } catch let error as BlobStoreError {
            throw error
        } catch let error as CryptomatteError {
            throw TaskExecutionError.badInput(input: "\(frame) regions", reason: error.description)
        } catch let error as ImageIOError {
            if case .outOfMemory = error { throw TaskExecutionError.outOfMemory(error.description) }
            throw TaskExecutionError.badInput(input: "\(frame) regions", reason: error.description)
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
