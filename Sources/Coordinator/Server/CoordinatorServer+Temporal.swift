import Engine
import FarmWire
import Foundation
import Protocol

/// Assignments of the temporal strategies' tasks (JobPlanner): flow tasks, stylize tasks with temporal
/// inputs, and chunked jobs' blend tasks. Their inputs are other tasks' results, named by hash and served
/// from the frame's output file (output tasks) or from `<state>/intermediate/` (everything else).
extension CoordinatorServer {
    /// The blob of a completed task's result, registered in the blob table so workers can fetch it; for a
    /// tiled job's tile group (`JobPlan.tileGroup`), its assembled frame.
    func resultRef(of taskID: String, job: JobContext, mediaType: String) throws -> Stylefarm_V1_BlobRef {
        if let group = job.plan.tileGroup(taskID) { return try groupResultRef(group, job: job, jobID: job.plan.jobID) }
        guard let record = try store.task(taskID), record.state == .completed, let sha = record.resultSHA256 else {
            throw TaskPreparationError(description: "input task \(taskID) has no result yet")
        }
        let path: String
        if record.producesOutput {
            guard let output = job.resolved.outputPath(ofFrameAt: record.frameIndex) else {
                throw TaskPreparationError(description: "input task \(taskID) has no output path")
            }
            path = output
        } else {
            path = intermediatePath(sha)
        }
        return servedRef(sha: sha, path: path, mediaType: mediaType)
    }

    /// The blob ref of a file this coordinator made (a result, an assembled scale), named by its hash and
    /// registered in the blob table so workers can fetch it.
    func servedRef(sha: String, path: String, mediaType: String) -> Stylefarm_V1_BlobRef {
        blobs[sha] = path
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = sha
        ref.mediaType = mediaType
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber { ref.size = size.uint64Value }
        return ref
    }

    /// FLOW: the pair's two content frames (scaled by the worker to the output size) and the preset.
    func makeFlowAssignment(_ base: Stylefarm_V1_TaskAssignment, job: JobContext, first: String?,
                            second: Int) throws -> Stylefarm_V1_TaskAssignment {
        var a = base
        a.kind = .flow
        a.parameters = Stylefarm_V1_EngineParameters()
        let frames = job.resolved.frames.frames
        guard let first, second < frames.count, let secondPath = job.resolved.content?.path(for: frames[second]) else {
            throw TaskPreparationError(description: "flow task \(a.taskID) names no content frames")
        }
        a.content = try blobRef(forFile: first, mediaType: Self.imageMediaType(first))
        a.secondContent = try blobRef(forFile: secondPath, mediaType: Self.imageMediaType(secondPath))
        if job.resolved.sharedFilesystem {
            a.contentPath = first
            a.secondContentPath = secondPath
        }
        a.flowPreset = Stylefarm_V1_FlowPreset(job.resolved.temporal.flowPreset)
        return a
    }

    /// BLEND: the results to cross-fade with their weights; the output goes where the frame's output goes.
    func makeBlendAssignment(_ base: Stylefarm_V1_TaskAssignment, planned: PlannedTask,
                             job: JobContext) throws -> Stylefarm_V1_TaskAssignment {
        var a = base
        a.kind = .blend
        a.blendInputs = try planned.blendInputs.map { link in
            var input = Stylefarm_V1_BlendInput()
            input.image = try resultRef(of: link.task, job: job, mediaType: "image/png")
            input.weight = link.weight
            return input
        }
        if job.resolved.sharedFilesystem, let output = job.resolved.outputPath(ofFrameAt: planned.frameIndex) {
            a.outputPath = output
        }
        if job.outputsEXR {
            // An OpenEXR output carries the plate's alpha and other layers: the blend reads the plate too.
            let frames = job.resolved.frames.frames
            if planned.frameIndex < frames.count, let contentPath = job.resolved.content?.path(for: frames[planned.frameIndex]) {
                a.content = try blobRef(forFile: contentPath, mediaType: Self.imageMediaType(contentPath))
                if job.resolved.sharedFilesystem { a.contentPath = contentPath }
            }
            a.outputExr = true
        }
        a.provenance = job.provenance(jobID: a.jobID, frameIndex: planned.frameIndex)
        return a
    }

    /// A region job's neighbour: the neighbour frame's content and mask image (matte:/ids: sources), so the
    /// worker can make the neighbour's region masks as it makes this frame's and stabilize this frame's
    /// masks with them (`RegionMasks.stabilized`). Nothing for jobs without regions.
    func addNeighbourRegionInputs(_ n: inout Stylefarm_V1_TemporalNeighbour, link: TemporalLink, job: JobContext) throws {
        // An exact source (a Cryptomatte) is not stabilized: the neighbours' masks are not needed.
        guard let regions = job.resolved.regions, !regions.source.isExact else { return }
        guard let frameIndex = job.plan.task(link.resultTask)?.frameIndex ?? job.plan.tileGroup(link.resultTask)?.frameIndex else {
            throw TaskPreparationError(description: "temporal neighbour task \(link.resultTask) is not in the job's plan")
        }
        let frames = job.resolved.frames.frames
        guard frameIndex < frames.count else {
            throw TaskPreparationError(description: "temporal neighbour task \(link.resultTask) names frame index \(frameIndex) of \(frames.count)")
        }
        let frame = frames[frameIndex]
        if let contentPath = job.resolved.content?.path(for: frame) {
            n.content = try blobRef(forFile: contentPath, mediaType: Self.imageMediaType(contentPath))
            if job.resolved.sharedFilesystem { n.contentPath = contentPath }
        }
        if let maskPath = job.resolved.regionMaskPath(forFrame: frame) {
            n.regionMask = try blobRef(forFile: maskPath, mediaType: Self.imageMediaType(maskPath))
            if job.resolved.sharedFilesystem { n.regionMaskPath = maskPath }
        }
    }

    /// STYLIZE: the neighbours' results and flows, the temporal weight, the start image of a later sweep (or
    /// of sweep 0: its lineage frame), and the task's own iteration budget and size (multipass splits the job's
    /// budget over its lineage and sweeps; the lineage renders smaller).
    func addTemporalInputs(_ a: inout Stylefarm_V1_TaskAssignment, planned: PlannedTask, job: JobContext) throws {
        if let iterations = planned.iterations { a.parameters.iterations = UInt32(clamping: iterations) }
        if let size = planned.size {
            // A multipass lineage frame: rendered at its own size, with style targets the worker computes for
            // that size from the style images (the job's are for the job's size).
            a.parameters.size = UInt32(clamping: size)
            let (w, h) = try Image.size(scaling: job.frameSize.width, job.frameSize.height, toLongerSide: size)
            a.frameWidth = UInt32(w)
            a.frameHeight = UInt32(h)
            a.region.x = 0; a.region.y = 0
            a.region.width = UInt32(w); a.region.height = UInt32(h)
        }
        guard !planned.neighbours.isEmpty || planned.initialTask != nil else { return }
        let temporal = job.resolved.temporal
        var inputs = Stylefarm_V1_TemporalInputs()
        inputs.neighbours = try planned.neighbours.map { link in
            var n = Stylefarm_V1_TemporalNeighbour()
            n.result = try resultRef(of: link.resultTask, job: job, mediaType: "image/png")
            n.flow = try resultRef(of: link.flowTask, job: job, mediaType: FlowPair.mediaType)
            n.neighbourIsFirst = link.neighbourIsFirst
            try addNeighbourRegionInputs(&n, link: link, job: job)
            return n
        }
        inputs.weight = temporal.lossWeight(contentWeight: job.resolved.parameters.contentWeight)
        if case .stylize(let sweep) = planned.role {
            inputs.weight *= temporal.sweepWeightFactor(sweep: sweep, iterations: job.resolved.parameters.iterations)
        }
        // A tile after its group's first step starts from the group's previous step (TileInputs.initial).
        let firstStep = planned.tile.map { job.plan.previousStep(scale: $0.scale, round: $0.round) == nil } ?? true
        inputs.warpedInit = temporal.warpedInitialization && planned.initialTask == nil && firstStep
        if let initial = planned.initialTask {
            inputs.initial = try resultRef(of: initial, job: job, mediaType: "image/png")
            inputs.blend = temporal.blend
        }
        a.temporal = inputs
    }
}
