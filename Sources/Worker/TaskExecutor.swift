import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// Runs the tasks a worker was assigned, without any sockets: fetches the inputs from a `BlobSource`,
/// runs the engine (or a diagnostic), stores the output in the `BlobCache` and describes it in a
/// `Stylefarm_V1_Result`. Errors are `TaskExecutionError`s; `failure(for:task:)` turns any error into the
/// `Stylefarm_V1_Failure` to report.
///
/// Kinds (one `TaskRunner` each, Runners/; this type looks the runner up, pins its inputs, runs it and
/// stores the output):
/// * `STYLIZE`: decode the content frame, stylize it with the task's parameters, encode a PNG (bit depth
///   from the parameters, 0 = as the content image). With `style_target_hashes` set (one per scale, the
///   job's targets computed once by the coordinator), those serialized `StyleTargets` are used and the
///   style images are not needed; without them the targets are computed from the style images.
/// * `ECHO`: sleep `diagnostic_duration_ms` (cancellable), then return the content blob unchanged.
/// * `SLEEP`: sleep `diagnostic_duration_ms` (cancellable), then return an empty output blob.
/// * `FLOW`, `BLEND` (TaskExecutor+Temporal.swift) and `STYLE_GRAMS` (TaskExecutor+StyleGrams.swift).
///
/// Shared-filesystem tasks (`content_path` / `output_path` set) read the content frame from its path and
/// write the output to its path (temp file + rename in the same folder) instead of the cache.
///
/// STYLIZE tasks with `regions` set are segmentation-aware (TaskExecutor+Regions.swift): the worker makes
/// the frame's region masks itself and matches each region against its style set's targets
/// (`region_style_targets`), exactly as `stylefarm stylize --segment … --region …` does.
public final class TaskExecutor {
    public let host: VGGCache
    public let cache: BlobCache
    public let source: BlobSource
    /// The installed model file of a segmentation network (`deeplab`, `deeplab-small`, `selfie`), or nil
    /// when this worker has no model directory (region tasks with network sources then fail MISSING_MODEL).
    public let segmentationModel: SegmentationModelLocator?
    /// Where warnings go (regions empty in a frame...); standard error by default.
    public let log: @Sendable (String) -> Void

    /// One mask maker per (source, CRF) pair, kept across tasks so a network is loaded once.
    let maskMakers = MaskMakerCache()
    /// The last tiled frame's region masks (TaskExecutor+Tiles.swift).
    let tileMaskCache = TileMaskCache()
    /// Content features of recent frames (a multipass sweep re-optimizes a frame from a few evaluations).
    let contentFeatures = ContentFeatureCache()
    /// The folders shared-filesystem tasks may read from and write to (`stylefarm worker --allow-read/--allow-write`).
    public let pathPolicy: PathPolicy

    /// `source` provides inputs (by default the cache itself); outputs always go to `cache`.
    public init(host: VGGCache, cache: BlobCache, source: BlobSource? = nil,
                segmentationModel: SegmentationModelLocator? = nil, pathPolicy: PathPolicy = .unrestricted,
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("stylefarm worker: \($0)\n".utf8)) }) {
        self.host = host
        self.cache = cache
        self.source = source ?? cache
        self.segmentationModel = segmentationModel
        self.pathPolicy = pathPolicy
        self.log = log
    }

    /// Runs `task` to completion. `progress` is called after every objective evaluation (STYLIZE only);
    /// `cancellation` is checked there and while sleeping, and a cancelled task throws
    /// `TaskExecutionError.cancelled`.
    public func execute(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation = TaskCancellation(),
                        progress: ((Stylefarm_V1_Progress) -> Void)? = nil) throws -> Stylefarm_V1_Result {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let runner = TaskRunners.byKind[task.kind] else { throw TaskExecutionError.unsupportedTaskKind(task.kind.rawValue) }
        let inputs = runner.inputs(of: task).filter { !$0.isEmpty }
        for hash in inputs { cache.pin(hash) }
        defer { for hash in inputs { cache.unpin(hash) } }

        let ran = try runner.run(task, on: self, cancellation: cancellation, progress: progress)
        let output = ran.bytes, mediaType = ran.mediaType
        var stats = ran.stats
        if cancellation.isCancelled { throw TaskExecutionError.cancelled }

        let hash: String
        var staged = ""
        do {
            if task.outputPath.isEmpty {
                hash = try cache.put(output)
            } else {
                hash = BlobName.of(output)
                do { try pathPolicy.check(task.outputPath, for: .write) } catch {
                    throw TaskExecutionError.output("\(error)")
                }
                if task.stageOutput {
                    staged = try Self.stage(output, for: task.outputPath, attempt: task.attempt)
                } else {
                    try Self.writeAtomically(output, to: task.outputPath)
                }
            }
        } catch let error as TaskExecutionError {
            throw error
        } catch {
            throw TaskExecutionError.output(String(describing: error))
        }
        var result = Stylefarm_V1_Result()
        result.taskID = task.taskID
        result.attempt = task.attempt
        result.output.sha256 = hash
        result.output.size = UInt64(output.count)
        result.output.mediaType = mediaType
        result.stagedPath = staged
        stats.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        stats.peakRssBytes = PeakMemory.residentBytes()
        result.stats = stats
        return result
    }

    // MARK: - STYLIZE

    struct Stylization {
        /// The encoded frame: a PNG, or an OpenEXR output (`output_exr`).
        var bytes: [UInt8]
        var finalLosses: StyleObjective.Breakdown
        var evaluations: Int
    }

    func stylize(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation,
                         progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> Stylization {
        let usesTargets = !task.styleTargetHashes.isEmpty
        let usesRegions = task.hasRegions && !task.regions.segment.isEmpty
        let frameParameters = try Self.engineParameters(of: task, styleCount: usesTargets || usesRegions ? max(1, task.styles.count) : task.styles.count)
        var parameters = frameParameters
        let frame = "job \(task.jobID) frame \(task.frameIndex)"
        let plate = try decodePlate(try content(of: task), name: "\(frame) content", task: task)
        let fullContent = plate.working
        var content = fullContent
        let tile = try tileWork(task, content: fullContent, parameters: parameters, frame: frame)
        if let tile {
            if tile.frameGrams != nil && usesRegions {
                throw TaskExecutionError.invalidParameters("\(frame): exact tiles (frame statistics) are not supported with regions")
            }
            content = tile.content
            parameters = tile.parameters
        } else if task.region.width > 0 || task.region.height > 0 {
            // Regions are in output pixels: the content scaled so its longer side is `size`.
            let output = try? Image.size(scaling: content.width, content.height, toLongerSide: parameters.size)
            guard let output, task.region.x == 0, task.region.y == 0, Int(task.region.width) == output.0,
                  Int(task.region.height) == output.1 else {
                let size = output.map { "\($0.0)x\($0.1)" } ?? "?"
                throw TaskExecutionError.invalidParameters("\(frame): a task without `tile` renders the whole \(size) output frame; its region is \(task.region.width)x\(task.region.height)+\(task.region.x)+\(task.region.y)")
            }
        }
        if usesTargets && task.styleTargetHashes.count != parameters.scales {
            throw TaskExecutionError.invalidParameters("\(frame): \(task.styleTargetHashes.count) style-target blobs for \(parameters.scales) scale(s)")
        }
        // Temporal terms are made for the whole output frame (the flows' size); a tile takes its crop.
        var pairs: [FlowPair]
        if task.hasTemporal {
            let (w, h) = try Image.size(scaling: fullContent.width, fullContent.height, toLongerSide: frameParameters.size)
            pairs = try temporalPairs(task, width: w, height: h, frame: frame)
        } else {
            pairs = []
        }
        var temporal = try temporalTargets(task, content: fullContent, parameters: frameParameters, pairs: pairs, frame: frame)
        // The warped targets are made: only region masks still need the flows (2 × 70 MB at 4K per neighbour).
        if !usesRegions { pairs = [] }
        if let tile {
            temporal = try tileTemporal(temporal, tile: tile, frame: frame)
        }
        let vgg = try host.vgg(parameters.network, pooling: parameters.pooling)
        let budget = parameters.iterations * parameters.scales
        let observe: (Int, Int, Int, StyleObjective.Breakdown) -> Bool = { scale, evaluation, scaleBudget, losses in
            if let progress {
                var message = Stylefarm_V1_Progress()
                message.taskID = task.taskID
                message.attempt = task.attempt
                message.iteration = UInt32(clamping: scale * scaleBudget + evaluation)
                message.budget = UInt32(clamping: budget)
                message.losses = Self.losses(losses)
                progress(message)
            }
            return !cancellation.isCancelled
        }

        let run: (image: Image, finalLosses: StyleObjective.Breakdown, evaluations: Int)
        do {
            if usesRegions {
                // A plate with transparent pixels: they are left out of every region's style statistics (whole frames;
                // a tile keeps the plain objective).
                let alpha = tile == nil ? try plate.alpha(width: fullContent.width, height: fullContent.height, toLongerSide: parameters.size) : nil
                let output = try stylizeRegions(task, content: content, parameters: parameters, vgg: vgg, frame: frame,
                                                temporal: temporal, pairs: pairs, tile: tile, fullContent: fullContent, alpha: alpha) {
                    observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                }
                run = (output.image, output.finalLosses, output.evaluations)
            } else if usesTargets {
                var targets = try task.styleTargetHashes.enumerated().map { scale, hash in
                    let bytes = try fetch(hash, role: "style targets of scale \(scale)")
                    do {
                        return try StyleTargets(serialized: bytes)
                    } catch let error as StyleTargetsSerializationError {
                        throw TaskExecutionError.badInput(input: "\(frame) style targets \(hash)", reason: error.description)
                    }
                }
                if let tile, tile.frameGrams != nil { targets = [try sharedTargets(targets[0], tile: tile, vgg: vgg)] }
                if tile == nil {
                    // The whole frame, as stylize renders a plate (its transparent pixels out of the style statistics).
                    let output = try StyleTransfer(vgg: vgg, contentCache: contentFeatures)
                        .stylize(plate: plate, styleTargets: targets, parameters: parameters, temporal: temporal) {
                            observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                        }
                    run = (output.image, output.finalLosses, output.evaluations)
                } else {
                    let output = try StyleTransfer(vgg: vgg, contentCache: contentFeatures).stylize(content: content, styles: [], parameters: parameters,
                                                                     styleTargets: targets, temporal: temporal) {
                        observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                    }
                    run = (output.image, output.finalLosses, output.evaluations)
                }
            } else {
                let styles = try task.styles.enumerated().map { i, ref in
                    try decodeStyle(try fetch(ref.sha256, role: "style \(i)"), name: "\(frame) style \(i)")
                }
                let output = try StyleTransfer(vgg: vgg, contentCache: contentFeatures).stylize(content: content, styles: styles, parameters: parameters,
                                                                 temporal: temporal) {
                    observe($0.scale, $0.evaluation, $0.budget, $0.losses)
                }
                run = (output.image, output.finalLosses, output.evaluations)
            }
        } catch let error as StyleTransferError {
            switch error {
            case .invalidParameter(let m): throw TaskExecutionError.invalidParameters(m)
            case .emptyImage(let which): throw TaskExecutionError.badInput(input: "\(frame) \(which)", reason: "the image is empty")
            }
        } catch let error as TaskExecutionError {
            throw error
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw TaskExecutionError.engine(String(describing: error))
        }
        if cancellation.isCancelled { throw TaskExecutionError.cancelled }

        let bitDepth = task.parameters.outputBitDepth == 0 ? (content.bitDepth > 8 ? 16 : 8) : Int(task.parameters.outputBitDepth)
        let bytes = try encodeFrame(run.image, task: task, plate: plate, bitDepth: bitDepth, name: "\(frame) output")
        return Stylization(bytes: bytes, finalLosses: run.finalLosses, evaluations: run.evaluations)
    }

    // MARK: - Helpers

    func sleep(_ task: Stylefarm_V1_TaskAssignment, cancellation: TaskCancellation) throws {
        guard cancellation.sleep(seconds: Double(task.diagnosticDurationMs) / 1000) else { throw TaskExecutionError.cancelled }
    }

    /// The content frame: read from `content_path` in shared-filesystem mode, else the content blob.
    func content(of task: Stylefarm_V1_TaskAssignment) throws -> [UInt8] {
        try input(path: task.contentPath, sha256: task.content.sha256, role: "content frame")
    }

    /// An input an assignment names twice, as shared-filesystem mode does: read at `path` when it is set,
    /// else fetched as the blob `sha256`. `role` names it in errors ("content frame", "region mask"...).
    func input(path: String, sha256: String, role: String) throws -> [UInt8] {
        guard !path.isEmpty else { return try fetch(sha256, role: role) }
        do { try pathPolicy.check(path, for: .read) } catch {
            throw TaskExecutionError.badInput(input: path, reason: "the \(role): \(error)")
        }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw TaskExecutionError.badInput(input: path, reason: "cannot read the \(role) on the shared filesystem: \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `path` atomically (`FileBytes.writeAtomically`), creating its folder, so readers
    /// never see a partial frame.
    /// Writes a fenced output next to `path` under a staged name for the coordinator to move into place
    /// (`TaskAssignment.stage_output`); returns the staged path.
    static func stage(_ bytes: [UInt8], for path: String, attempt: UInt32) throws -> String {
        try writingOutput(to: path) { try FileBytes.stage(bytes, besides: path, tag: "a\(attempt)-") }
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writingOutput(to: path) { try FileBytes.writeAtomically(bytes, to: path) }
    }

    /// Runs `write` for the output file `path` with its folder made, its errors as `TaskExecutionError.output`.
    private static func writingOutput<T>(to path: String, _ write: () throws -> T) throws -> T {
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            return try write()
        } catch let error as ImageIOError {
            if case .noSpace = error { throw TaskExecutionError.storageFull(error.description) }
            throw TaskExecutionError.output(error.description)
        } catch {
            if let code = FileBytes.posixCode(of: error), FileBytes.isNoSpace(code) {
                throw TaskExecutionError.storageFull("cannot write \(path): \(error.localizedDescription)")
            }
            throw TaskExecutionError.output("cannot write \(path): \(error.localizedDescription)")
        }
    }

    func fetch(_ hash: String, role: String) throws -> [UInt8] {
        do {
            return try source.blob(hash)
        } catch BlobStoreError.missing(let h) {
            throw TaskExecutionError.missingBlob(sha256: h, role: role)
        } catch BlobStoreError.invalidHash(let h) {
            throw TaskExecutionError.invalidParameters("the \(role) blob name is not a SHA-256: \(h.prefix(80))")
        }
    }

    /// An image read by its file type: a matte, an ID map (PNG or JPEG).
    func decode(_ bytes: [UInt8], name: String) throws -> Image {
        try decoding(name) { try ImageReader.decode(bytes: bytes, name: name) }
    }

    /// A content frame as a plate (working space, alpha, and for OpenEXR the file an OpenEXR output rewrites), read
    /// in the task's colour space and layer.
    func decodePlate(_ bytes: [UInt8], name: String, task: Stylefarm_V1_TaskAssignment) throws -> Plate {
        let settings = try plateSettings(of: task)
        return try decoding(name) { try settings.readContent(bytes: bytes, name: name) }
    }

    /// A style image in working space (an OpenEXR style by its file type: linear Rec.709).
    func decodeStyle(_ bytes: [UInt8], name: String) throws -> Image {
        try decoding(name) { try Plate.decode(bytes: bytes, name: name).working }
    }

    /// A frame this job rendered — a neighbour's result, an earlier sweep or scale, a blend input — in working space
    /// (`PlateSettings.readResult`: an OpenEXR output goes back through the job's colour space).
    func decodeResult(_ bytes: [UInt8], name: String, task: Stylefarm_V1_TaskAssignment) throws -> Image {
        let settings = try plateSettings(of: task)
        return try decoding(name) { try settings.readResult(bytes: bytes, name: name) }
    }

    private func decoding<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ImageIOError {
            if case .outOfMemory = error { throw TaskExecutionError.outOfMemory(error.description) }
            throw TaskExecutionError.badInput(input: name, reason: error.description)
        }
    }

    /// The bytes of a rendered frame (working space, RGB): OpenEXR when the task's result is an OpenEXR output of
    /// the job (`output_exr`: `plate`'s colour space, alpha and other layers), else a PNG at `bitDepth`.
    func encodeFrame(_ image: Image, task: Stylefarm_V1_TaskAssignment, plate: Plate?, bitDepth: Int, name: String) throws -> [UInt8] {
        do {
            if task.outputExr {
                guard let plate else {
                    throw TaskExecutionError.invalidParameters("\(name): an OpenEXR output needs the frame's content plate, and the task names none")
                }
                let settings = try plateSettings(of: task)
                return try plate.encode(image, as: .exr(half: settings.exrHalf, compression: settings.exrCompression),
                                        attributes: try Self.provenance(of: task).attributes, name: name)
            }
            let png = [UInt8](try ImageWriter.encodePNG(image, bitDepth: bitDepth, name: name))
            // An output frame (the coordinator sent its provenance) says how it was made in PNG text; an intermediate
            // result does not.
            return task.provenance.isEmpty ? png : try PNGText.inserting(try Self.provenance(of: task).attributes, into: png, name: name)
        } catch let error as ImageIOError {
            if case .outOfMemory = error { throw TaskExecutionError.outOfMemory(error.description) }
            throw TaskExecutionError.output(error.description)
        }
    }

    /// How the task's output frame is made (Engine.Provenance): the coordinator's entries (job, frame, paths; checked:
    /// at most 16 entries of short lowercase names and values of at most 4 KiB) and this worker's (engine, threads,
    /// parameters, the hashes of every input).
    static func provenance(of task: Stylefarm_V1_TaskAssignment) throws -> Provenance {
        guard task.provenance.count <= 16, task.provenance.allSatisfy({ key, value in
            (1...32).contains(key.utf8.count) && key.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-") }
                && value.utf8.count <= 4096
        }) else {
            throw TaskExecutionError.invalidParameters("the task's provenance entries are not at most 16 short lowercase names with values of at most 4 KiB")
        }
        var provenance = Provenance(entries: task.provenance)
        provenance[.job] = task.jobID
        provenance[.task] = task.taskID
        provenance[.engine] = Provenance.engineVersion
        provenance[.threads] = String(EngineThreads.count)
        provenance[.parameters] = (try? task.parameters.jsonString()) ?? ""
        provenance[.content] = task.content.sha256
        provenance[.styles] = task.styles.map(\.sha256).joined(separator: ",")
        provenance[.styleTargets] = (task.styleTargetHashes + task.regionStyleTargets.flatMap(\.hashes)).joined(separator: ",")
        provenance[.models] = task.modelHashes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return provenance
    }

    /// The task's plate settings (FarmWire's checked mapping; an OpenColorIO conversion fetched as the blob it names,
    /// and loaded once per process); an unknown value is invalid parameters.
    func plateSettings(of task: Stylefarm_V1_TaskAssignment) throws -> PlateSettings {
        do {
            return try PlateSettings(wire: task.plate, conversion: { try self.fetch($0, role: "OpenColorIO conversion") })
        } catch let error as InvalidWireValue {
            throw TaskExecutionError.invalidParameters(error.message)
        }
    }

    /// The task's engine parameters (FarmWire's checked mapping); an impossible value is invalid parameters.
    static func engineParameters(of task: Stylefarm_V1_TaskAssignment, styleCount: Int) throws -> StyleTransferParameters {
        do {
            return try StyleTransferParameters(task.parameters, styleCount: styleCount)
        } catch let error as InvalidWireValue {
            throw TaskExecutionError.invalidParameters(error.message)
        }
    }

    static func losses(_ breakdown: StyleObjective.Breakdown) -> Stylefarm_V1_Losses {
        var losses = Stylefarm_V1_Losses()
        losses.total = Double(breakdown.total)
        losses.content = Double(breakdown.content)
        losses.style = Double(breakdown.style)
        losses.tv = Double(breakdown.totalVariation)
        return losses
    }
}
