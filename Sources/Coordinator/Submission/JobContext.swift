import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// What the coordinator keeps in memory about a job while it runs: the resolved job, its frame size, its
/// style-target blobs, the engine parameters in wire form (the same for every task) and its plan. Made
/// once by the submission (`JobSubmission`, off the loop) for a new job, or rebuilt from the stored job
/// after a restart (`init(restoring:styleTargets:)`); both give the same plan, so the stored task ids match.
struct JobContext: Sendable, Equatable {
    var resolved: ResolvedJob
    var frameSize: PixelSize
    var styleTargetsKey: String
    var styleTargetBlobs: [String]
    /// The engine parameters in wire form (the same for every task of the job).
    var wireParameters: Stylefarm_V1_EngineParameters
    /// Region jobs: the blobs of every style set, and the region settings in wire form.
    var regionTargetBlobs: [[String]] = []
    var wireRegions: Stylefarm_V1_RegionSpec? = nil
    /// How the workers read the plates and write OpenEXR outputs (wire form), and whether the job's outputs are
    /// OpenEXR files (its output pattern ends in .exr).
    var wirePlate: Stylefarm_V1_PlateOptions
    var outputsEXR: Bool
    /// Plates in a colour space of an OpenColorIO config: the blob of the conversion baked at submit (CTF text in the
    /// style-target store, `StyleTargetsStore.store(conversion:)`), which every task's `plate` names.
    var ocioConversionBlob: String? { wirePlate.ocioConversionSha256.isEmpty ? nil : wirePlate.ocioConversionSha256 }
    /// The job's plan (deterministic, so re-planning after a restart gives the stored task ids): what
    /// each task computes and which tasks' results it takes.
    var plan: JobPlan

    init(resolved: ResolvedJob, frameSize: PixelSize, styleTargetsKey: String, styleTargetBlobs: [String],
         regionTargetBlobs: [[String]], plan: JobPlan) {
        self.resolved = resolved
        self.frameSize = frameSize
        self.styleTargetsKey = styleTargetsKey
        self.styleTargetBlobs = styleTargetBlobs
        self.wireParameters = Stylefarm_V1_EngineParameters(resolved.parameters, outputBitDepth: resolved.bitDepth)
        self.wirePlate = Stylefarm_V1_PlateOptions(resolved.plate)
        self.outputsEXR = resolved.outputEncoding.isEXR
        self.plan = plan
        if let regions = resolved.regions {
            self.regionTargetBlobs = regionTargetBlobs
            self.wireRegions = Stylefarm_V1_RegionSpec(regions)
        }
    }

    /// What the coordinator records of how frame `frameIndex` of job `jobID` is made, for its output's provenance
    /// (`TaskAssignment.provenance`; the worker adds the engine's side).
    func provenance(jobID: String, frameIndex: Int) -> [String: String] {
        var entries = ["job": jobID, "job-name": resolved.name, "style-paths": resolved.styles.joined(separator: "\n")]
        if let space = resolved.plate.colorSpace {
            entries["input-colorspace"] = space.name
            if case .ocio(let conversion) = space {
                entries["ocio-config"] = conversion.config
                entries["ocio-conversion"] = conversion.blobName
            }
        }
        if let layer = resolved.plate.layer { entries["layer"] = layer }
        if resolved.temporal.strategy != .independent { entries["temporal"] = resolved.temporal.strategy.rawValue }
        if let regions = resolved.regions {
            entries["segment"] = regions.source.description + " " + regions.assignments.map { a in
                if case .image(let path) = a.style { return "\(a.name)=\(path)" } else { return "\(a.name)=none" }
            }.joined(separator: " ")
        }
        let frames = resolved.frames.frames
        guard frameIndex >= 0, frameIndex < frames.count else { return entries }
        entries["frame"] = String(frames[frameIndex])
        if let content = resolved.content?.path(for: frames[frameIndex]) { entries["content-path"] = content }
        if let output = resolved.outputPath(ofFrameAt: frameIndex) { entries["output-path"] = output }
        return entries
    }

    /// A stored job's context after a restart (or after its context was dropped): the stored spec resolved
    /// and planned again with what was decided at submit (frame size, cuts, Gram parts); style targets lost
    /// with a wiped state folder are computed again.
    init(restoring record: JobRecord, styleTargets: StyleTargetsStore) throws {
        let stored = try JSONDecoder().decode(StoredJob.self, from: record.spec)
        let resolved = try stored.resolved()
        if case .ocio(let conversion) = resolved.plate.colorSpace { _ = try styleTargets.store(conversion: conversion.ctf) }
        var targetBlobs = stored.styleTargetBlobs ?? []
        let parts = stored.styleGramParts ?? []
        if resolved.kind == .stylize && !resolved.styles.isEmpty && parts.isEmpty
            && (targetBlobs.isEmpty || !styleTargets.contains(targetBlobs)) {
            // Lost with a wiped state folder (or a job stored before targets were kept): compute again.
            let key = try StyleTargetKey.load(stylePaths: resolved.styles, parameters: resolved.parameters)
            targetBlobs = try styleTargets.targets(stylePaths: resolved.styles, parameters: resolved.parameters, key: key)
        }
        var regionBlobs = stored.regionStyleTargetBlobs ?? []
        if let regions = resolved.regions, resolved.kind == .stylize,
           regionBlobs.isEmpty || !regionBlobs.allSatisfy({ styleTargets.contains($0) }) {
            regionBlobs = try styleTargets.regionTargets(stylePaths: resolved.styles,
                                                         layout: regions.layout(hasDefaultStyle: !resolved.styles.isEmpty),
                                                         parameters: resolved.parameters)
        }
        let frameSize = PixelSize(width: stored.frameWidth, height: stored.frameHeight)
        let key = record.styleTargetsHash.isEmpty ? nil : StyleTargetKey(hex: record.styleTargetsHash)
        let plan = try JobPlanner().plan(resolved, jobID: record.id, frameSize: frameSize, styleTargetKey: key, cuts: stored.cuts ?? [],
                                         styleGrams: parts)
        self.init(resolved: resolved, frameSize: frameSize, styleTargetsKey: record.styleTargetsHash, styleTargetBlobs: targetBlobs,
                  regionTargetBlobs: regionBlobs, plan: plan)
    }
}
