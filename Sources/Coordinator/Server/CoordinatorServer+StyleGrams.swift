import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// Style targets computed by the workers (issue 7, docs/ARCHITECTURE.md "Tiles"): a job whose style images,
/// scaled to its output, need more than one network pass gets one STYLE_GRAMS task per `StyleGramPart`.
/// Each returns the Gram sums of its cores (`Engine.GramSums`), kept under `<state>/intermediate/` like
/// other results that only feed the coordinator. The first task assigned that needs a scale's targets (a tile
/// of that scale, or any stylize task of a whole-frame job) has the coordinator combine the scale's parts —
/// add each style image's sums, divide, blend the styles with the job's weights
/// (`StyleTargets(blending:weights:)`) — into an ordinary style-target blob that every such task is sent. So
/// the coordinator never runs the network for such a job, and the parts run side by side on the farm instead
/// of serially at submit. Exact tiles' frame statistics (`frameGramsRef`) are added the same way.
extension CoordinatorServer {
    /// STYLE_GRAMS of `part`: which style image, its size at the part's scale, and which cores.
    func makeStyleGramsAssignment(_ assignment: Stylefarm_V1_TaskAssignment, part: StyleGramPart,
                                  job: JobContext) throws -> Stylefarm_V1_TaskAssignment {
        var a = assignment
        a.kind = .styleGrams
        a.styles = try job.resolved.styles.map { try blobRef(forFile: $0, mediaType: "image/png") }
        a.styleGrams = Self.styleGramInputs(style: part.style, size: part.size, core: part.core, cores: part.cores)
        return a
    }

    /// Exact tiles: STYLE_GRAMS over cores `cores` of the frame assembled after `round` of `scale` (the parts'
    /// sum is what the next round's tiles match their share of the frame's statistics against).
    func makeFrameGramsAssignment(_ assignment: Stylefarm_V1_TaskAssignment, frameIndex: Int, scale: Int, round: Int,
                                  core: Int, cores: Range<Int>, job: JobContext) throws -> Stylefarm_V1_TaskAssignment {
        var a = assignment
        a.kind = .styleGrams
        a.styles = [try assembledRef(job: job, jobID: a.jobID, frameIndex: frameIndex, scale: scale, round: round)]
        a.styleGrams = Self.styleGramInputs(style: 0, size: job.plan.tilePlans[scale].frameSize, core: core, cores: cores)
        return a
    }

    /// What a STYLE_GRAMS task sums: cores `cores` of the `core`-pixel grid over `styles[style]` scaled to `size`.
    static func styleGramInputs(style: Int, size: PixelSize, core: Int, cores: Range<Int>) -> Stylefarm_V1_StyleGramInputs {
        Stylefarm_V1_StyleGramInputs.with {
            $0.styleIndex = UInt32(style)
            $0.styleWidth = UInt32(size.width)
            $0.styleHeight = UInt32(size.height)
            $0.core = UInt32(core)
            $0.firstCore = UInt32(cores.lowerBound)
            $0.coreCount = UInt32(cores.count)
        }
    }

    /// The Gram sums a completed STYLE_GRAMS task returned, read back from its intermediate.
    private func landedGramSums(of task: PlannedTask, what: String) throws -> GramSums {
        guard let record = try store.task(task.id), record.state == .completed, let sha = record.resultSHA256 else {
            throw TaskPreparationError(description: "\(what) \(task.id) has no result yet")
        }
        let path = intermediatePath(sha)
        do {
            return try GramSums(serialized: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            throw TaskPreparationError(description: "\(what) \(task.id) (\(path)): \(error)")
        }
    }

    /// Exact tiles: the Gram sums of frame `frameIndex` after `round` of `scale` — the one part's result, or the
    /// parts added into an intermediate blob (kept like an assembled frame, `assembledScales`, so it goes when
    /// the job ends and is made again from the parts after a restart).
    func frameGramsRef(job: JobContext, jobID: String, frameIndex: Int, scale: Int, round: Int) throws -> Stylefarm_V1_BlobRef {
        let parts = job.plan.frameGramsTasks(frameIndex: frameIndex, scale: scale, round: round)
        guard let first = parts.first else {
            throw TaskPreparationError(description: "job \(jobID) frame \(frameIndex) has no frame statistics after round \(round) of scale \(scale)")
        }
        if parts.count == 1 { return try resultRef(of: first.id, job: job, mediaType: GramSums.mediaType) }
        let key = Self.assemblyKey(jobID: jobID, frameIndex: frameIndex, scale: scale, round: round) + "|grams"
        if let kept = assembledScales[key], FileManager.default.fileExists(atPath: intermediatePath(kept)) {
            return servedRef(sha: kept, path: intermediatePath(kept), mediaType: GramSums.mediaType)
        }
        var total = try landedGramSums(of: first, what: "frame statistics part")
        for task in parts.dropFirst() { try total.add(try landedGramSums(of: task, what: "frame statistics part")) }
        let bytes = try total.serialized()
        let sha = BlobName.of(bytes)
        try Self.writeFile(bytes, to: intermediatePath(sha))
        assembledScales[key] = sha
        return servedRef(sha: sha, path: intermediatePath(sha), mediaType: GramSums.mediaType)
    }

    /// The style-target blob of `scale` of a job whose targets the workers computed, combined from the
    /// scale's parts on first use (and again after a restart, from the parts' kept results). When every scale
    /// is combined the blobs are remembered under the job's style-target key, so later jobs reuse them.
    func combinedStyleTargets(job: JobContext, jobID: String, scale: Int) throws -> String {
        let cacheKey = "\(jobID)|\(scale)"
        if let known = combinedTargets[cacheKey], styleTargets.contains([known]) {
            blobs[known] = styleTargets.path(of: known)
            return known
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let styleCount = job.resolved.styles.count
        var perStyle = [GramSums?](repeating: nil, count: styleCount)
        let tasks = job.plan.styleGramTasks(scale: scale)
        for task in tasks {
            guard case .styleGrams(let n) = task.role else { continue }
            let part = job.plan.styleGramParts[n]
            let sums = try landedGramSums(of: task, what: "style-target part")
            guard part.style < styleCount else { throw TaskPreparationError(description: "style-target part \(task.id) names style \(part.style)") }
            if perStyle[part.style] == nil { perStyle[part.style] = sums } else { try perStyle[part.style]!.add(sums) }
        }
        let sums = try perStyle.enumerated().map { i, sums -> GramSums in
            guard let sums else { throw TaskPreparationError(description: "job \(jobID) has no style-target part of style \(i) at scale \(scale)") }
            return sums
        }
        let weights = job.resolved.parameters.normalizedBlendWeights(styleCount: styleCount)
        let hash = try styleTargets.store(try StyleTargets(blending: sums, weights: weights))
        blobs[hash] = styleTargets.path(of: hash)
        combinedTargets[cacheKey] = hash
        log(String(format: "job %@: style targets of scale %d combined from %d worker part(s) in %.2f s: %@", jobID, scale, tasks.count,
                   Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, hash))
        let scales = job.resolved.parameters.scales
        let all = (0..<scales).compactMap { combinedTargets["\(jobID)|\($0)"] }
        if all.count == scales, !job.styleTargetsKey.isEmpty { styleTargets.remember(all, for: StyleTargetKey(hex: job.styleTargetsKey)) }
        return hash
    }
}
