import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// Everything a submitted job needs before it can be dispatched: the wire spec decoded and resolved, the
/// content and masks checked, the first frame read for the output size, shot cuts (every frame read), the
/// style targets (VGG on the style images, or the plan for the workers to compute them), the plan, and the
/// job's rows stored. Slow — seconds for a long 4K temporal job, with up to a million task rows — so it runs
/// on an `OffLoopQueue`'s thread, never on the coordinator's loop, which must answer every worker within a
/// heartbeat. Everything it holds is safe to use from that thread; what it needs from the loop's state (the
/// registered workers' memory, for the default tile budget) is taken as a value when the request arrives.
struct JobSubmission: @unchecked Sendable {
    let store: SQLiteJobStore
    let styleTargets: StyleTargetsStore
    let clock: any FarmClock
    /// The default `max_tile_pixels` for each network, from the smallest worker registered when the job was
    /// sent (`CoordinatorServer.defaultTileBudget`).
    let tileBudgets: [VGGNetwork: Int]
    /// Relative paths in a spec are taken against this folder (the coordinator's working directory).
    let workingDirectory: String
    /// The most tasks one job may plan (`--max-tasks-per-job`); a job planning more is refused before any row is stored.
    var maxTasks = CoordinatorServer.Configuration.defaultMaxTasksPerJob
    /// The folders the coordinator may read and write for a job (`--allow-read`, `--allow-write`).
    var pathPolicy = PathPolicy.unrestricted

    /// A stored job: its id, the line the coordinator logs about it, and its context (the plan made here is
    /// the one the loop dispatches from: not made again on the loop).
    struct Accepted: Sendable {
        var jobID: String
        var summary: String
        var context: JobContext
    }

    /// Resolves, plans and stores a job. Throws `JobSpecError` (and the planner's and store's errors) for a
    /// job that cannot run, before anything is stored.
    /// - Parameter owner: the name of the client key that submits it (empty without CurveZMQ).
    func run(_ wire: Stylefarm_V1_JobSpec, owner: String = "") throws -> Accepted {
        let cwd = workingDirectory
        var spec = try JobSpec(wire: wire).withPathsResolved(against: cwd)
        var resolved = try spec.resolve(baseDirectory: cwd)
        try Self.checkPaths(of: resolved, against: pathPolicy)
        // An OpenColorIO colour space is baked here, once, after its config passed the path policy: workers fetch the
        // conversion itself as a blob, so every frame converts the same way whatever config each machine has.
        resolved.plate = try resolved.plate.baked()
        if case .ocio(let conversion) = resolved.plate.colorSpace { _ = try styleTargets.store(conversion: conversion.ctf) }
        if resolved.kind == .stylize && resolved.tiling == .automatic, let pixels = tileBudgets[resolved.parameters.network] {
            // Stored with the job, so a restarted coordinator re-plans the same tiles.
            spec.maxTilePixels = pixels
            resolved.tiling = .budget(.maxTilePixels(pixels))
        }
        var frameSize = PixelSize(width: 1, height: 1)
        var key: StyleTargetKey? = nil
        var targetBlobs: [String] = []
        var regionBlobs: [[String]] = []
        if resolved.kind == .stylize {
            guard let first = resolved.frames.frames.first, let content = resolved.content else {
                throw JobPlanError.noFrames(job: resolved.name)
            }
            try Self.checkContent(content, frames: resolved.frames.frames)
            let image = try Plate.read(path: content.path(for: first), colorSpace: resolved.plate.colorSpace,
                                       layer: resolved.plate.layer).working
            frameSize = try resolved.outputFrameSize(contentWidth: image.width, contentHeight: image.height)
            key = try StyleTargetKey.load(stylePaths: resolved.styles, parameters: resolved.parameters)
            if let regions = resolved.regions {
                try Self.checkMasks(regions, frames: resolved.frames.frames)
                if case .cryptomatte = regions.source { try Self.checkCryptomatte(regions, firstFrame: content.path(for: first)) }
                regionBlobs = try styleTargets.regionTargets(stylePaths: resolved.styles,
                                                             layout: regions.layout(hasDefaultStyle: !resolved.styles.isEmpty),
                                                             parameters: resolved.parameters)
                if !resolved.styles.isEmpty { targetBlobs = regionBlobs[0] }
            }
        }
        let jobID = "job-" + UUID().uuidString.prefix(8).lowercased()
        let cuts = try Self.shotCuts(of: resolved)
        let parts = try styleGramParts(for: resolved, key: key)
        let plan = try JobPlanner().plan(resolved, jobID: jobID, frameSize: frameSize, styleTargetKey: key, cuts: cuts,
                                         styleGrams: parts)
        if resolved.kind == .stylize && resolved.regions == nil && plan.styleGramParts.isEmpty {
            targetBlobs = try styleTargets.targets(stylePaths: resolved.styles, parameters: resolved.parameters, key: key!)
        }
        var stored = spec
        stored.outputDir = resolved.outputDirectory
        let specData = try JSONEncoder().encode(StoredJob(spec: stored, frameWidth: frameSize.width, frameHeight: frameSize.height,
                                                          styleTargetBlobs: targetBlobs,
                                                          regionStyleTargetBlobs: resolved.regions == nil ? nil : regionBlobs,
                                                          cuts: cuts,
                                                          styleGramParts: plan.styleGramParts.isEmpty ? nil : plan.styleGramParts,
                                                          ocioConversion: resolved.plate.colorSpace.flatMap { space in
                                                              if case .ocio(let conversion) = space { conversion.ctf } else { nil }
                                                          }))
        guard plan.tasks.count <= maxTasks else { throw JobSubmissionError.tooManyTasks(planned: plan.tasks.count, limit: maxTasks) }
        let record = JobRecord(id: jobID, name: resolved.name, spec: specData, priority: resolved.priority,
                               styleTargetsHash: key?.hex ?? "", owner: owner, blocklistThreshold: resolved.blocklistThreshold)
        let frames = plan.frames.map { FrameRecord(jobID: jobID, index: $0.index, outputPath: $0.outputPath ?? "") }
        let tasks = plan.tasks.map {
            TaskRecord(id: $0.id, jobID: jobID, frameIndex: $0.frameIndex, region: $0.region, maxAttempts: resolved.maxAttempts,
                       dependencies: $0.dependencies, producesOutput: $0.producesOutput, maxLost: resolved.maxLost)
        }
        try store.insertJob(record, frames: frames, tasks: tasks, now: clock.now())
        let temporal = resolved.temporal.strategy == .independent ? "" :
            ", temporal \(resolved.temporal.strategy.rawValue), \(plan.tasks.count) tasks, \(plan.shotStarts.count) shot(s)"
        let tiles = plan.tilePlans.last.map { ", \($0.description) (\(plan.tasks.count) tasks)" } ?? ""
        let workerTargets = plan.styleGramParts.isEmpty ? "" : ", style targets in \(plan.styleGramParts.count) worker tasks"
        let context = JobContext(resolved: resolved, frameSize: frameSize, styleTargetsKey: key?.hex ?? "",
                                 styleTargetBlobs: targetBlobs, regionTargetBlobs: regionBlobs, plan: plan)
        return Accepted(jobID: jobID,
                        summary: "job \(jobID) (\(resolved.name)): \(frames.count) frame(s), \(resolved.kind.rawValue)\(temporal)\(tiles)\(workerTargets)",
                        context: context)
    }

    /// The parts a new job's style targets are split into, or none (the coordinator computes them at submit):
    /// only jobs without regions whose targets are not known yet, and only when some scale's style image
    /// exceeds one pass (`StyleGramPart.plan`) — a 2K output's style already takes seconds of VGG.
    func styleGramParts(for job: ResolvedJob, key: StyleTargetKey?) throws -> [StyleGramPart] {
        guard job.kind == .stylize, job.regions == nil, !job.styles.isEmpty, let key, styleTargets.known(key) == nil else { return [] }
        let sizes = try job.styles.map { path -> PixelSize in
            do {
                let image = try Plate.read(path: path).working
                return PixelSize(width: image.width, height: image.height)
            } catch {
                throw StyleTargetsStore.StoreError.unreadableStyle(path: path, reason: "\(error)")
            }
        }
        return try StyleGramPart.plan(parameters: job.parameters, styleSizes: sizes)
    }

    /// The frame numbers that start a shot in a temporal job: the job's own `cuts`, plus the cuts
    /// `ShotCutDetector` finds in the content's colour histograms (unless `detect_cuts: false`). The
    /// frames are read once here, scaled to at most 256 px (histograms need no detail).
    static func shotCuts(of job: ResolvedJob) throws -> [Int] {
        guard job.kind == .stylize, job.temporal.usesFlow else { return [] }
        var cuts = Set(job.temporal.cuts)
        if job.temporal.detectCuts, let content = job.content, job.frames.count > 2 {
            let numbers = job.frames.frames
            let histograms = try numbers.map { frame -> [Float] in
                let image = try Plate.read(path: content.path(for: frame), colorSpace: job.plate.colorSpace, layer: job.plate.layer).working
                let (w, h) = try Image.size(scaling: image.width, image.height, toLongerSide: min(256, max(image.width, image.height)))
                return ShotCutDetector.histogram(try image.toRGB().resized(width: w, height: h))
            }
            for index in ShotCutDetector().cuts(histograms: histograms) { cuts.insert(numbers[index]) }
        }
        return cuts.sorted()
    }

    /// Refuses a stylize job whose content file of some frame is missing, naming the first one (one `stat`
    /// per frame), instead of failing those frames one by one on the farm.
    static func checkContent(_ content: PathPattern, frames: [Int]) throws {
        let missing = frames.filter { !FileManager.default.fileExists(atPath: content.path(for: $0)) }
        guard let first = missing.first else { return }
        throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.content.rawValue,
            message: "\(missing.count) of \(frames.count) frame(s) have no content file, the first is frame \(first): \(content.path(for: first)) does not exist")])
    }

    /// Refuses a `matte:` / `ids:` job whose mask file of some frame is missing (network sources need
    /// nothing here: the workers segment, with their own installed models).
    static func checkMasks(_ regions: ResolvedRegions, frames: [Int]) throws {
        var missing: [Int] = []
        for frame in frames {
            guard let path = regions.maskPath(for: frame) else { return }
            if !FileManager.default.fileExists(atPath: path) { missing.append(frame) }
        }
        guard let first = missing.first, let path = regions.maskPath(for: first) else { return }
        throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.segment.rawValue,
            message: "\(missing.count) frame(s) have no mask file, the first is frame \(first): \(path) does not exist")])
    }
}

extension JobSubmission {
    /// Refuses a `cryptomatte` job whose first frame has no such Cryptomatte or whose `--region` names select
    /// nothing there, with the Cryptomatte's own message (it lists the names the manifest has).
    static func checkCryptomatte(_ regions: ResolvedRegions, firstFrame path: String) throws {
        do {
            let bytes = try FileBytes.readFile(path: path, maxBytes: ImageLimits.default.maxFileBytes)
            _ = try RegionMasks.cryptomatte(exr: bytes, selector: regions.source.description,
                                            names: regions.assignments.map(\.name), source: path)
        } catch let error as CryptomatteError {
            throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.segment.rawValue, message: "\(path): \(error.description)")])
        } catch let error as ImageIOError {
            throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.segment.rawValue,
                                                message: "--segment \(regions.source) reads the Cryptomatte of each OpenEXR content frame: \(error.description)")])
        }
    }

    /// Every file the coordinator would read (`inputFiles`: content frames, styles, region styles and masks) and every folder it would
    /// write (the outputs') for `job`, checked against `policy` before any is opened (a missing file is left
    /// to the content checks, which name it).
    static func checkPaths(of job: ResolvedJob, against policy: PathPolicy) throws {
        func read(_ path: String) throws {
            guard FileManager.default.fileExists(atPath: path) else { return }
            try policy.check(path, for: .read)
        }
        for file in job.inputFiles { try read(file) }
        let frames = job.frames.frames
        var folders = Set<String>()
        if let directory = job.outputDirectory { folders.insert(directory) }
        if let output = job.output {
            for frame in frames { folders.insert(URL(fileURLWithPath: output.path(for: frame)).deletingLastPathComponent().path) }
        }
        for folder in folders.sorted() { try policy.check(folder, for: .write) }
    }
}

/// Why the coordinator refused a job that resolved and planned.
enum JobSubmissionError: Error, Equatable, CustomStringConvertible {
    case tooManyTasks(planned: Int, limit: Int)

    var description: String {
        switch self {
        case .tooManyTasks(let planned, let limit):
            return "the job would plan \(planned) tasks, more than this coordinator takes in one job (--max-tasks-per-job \(limit)); split it into several jobs"
        }
    }
}
