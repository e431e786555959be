import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// Tiled frames (issue 7, docs/ARCHITECTURE.md "Tiles"): tile tasks' assignments, and the reassembly of
/// a frame (or of one scale of it) as its tiles land.
///
/// Every tile's result is kept under `<state>/intermediate/` like other results that only feed the
/// coordinator, so a lost tile is retried alone and a restarted coordinator can rebuild an assembly from
/// the tiles that already landed. Tiles are handed to the reassembly thread (`ReassemblyThread`,
/// `TileReassembly`) as they arrive; when the last one lands there the frame is encoded and written to its
/// output path, or — for an earlier step — kept as an intermediate that later tasks start from, and back on
/// the loop the frame is recorded (`frameAssembled`) before the tile's completion. After a restart, the first
/// task that needs an earlier step's assembly rebuilds it from its tiles' results on the loop (`assembledRef`).
extension CoordinatorServer {
    /// Records a task's result as completed; a tile's completion waits for the reassembly thread to have
    /// added it to its frame (`landTile`). Every accepted result goes through here.
    func recordCompletion(taskID: String, jobID: String, attempt: Int, sha: String, bytes: Data?) {
        guard let job = try? jobContext(jobID), let planned = job.plan.task(taskID), let tile = planned.tile else {
            pendingChanges.append(.completed(taskID: taskID, attempt: attempt, resultSHA256: sha))
            return
        }
        do {
            reassembly.land(try tileArrival(taskID: taskID, jobID: jobID, attempt: attempt, sha: sha, bytes: bytes,
                                            frameIndex: planned.frameIndex, tile: tile, job: job))
        } catch {
            pendingChanges.append(.failed(taskID: taskID, attempt: attempt, error: "tile assembly: \(error)", retryable: true))
        }
    }

    /// `<job>|<frame index>|<scale>` (`|<round>` for exact tiles' later rounds, `|<step>` for a render of the
    /// frame that is not its output: a multipass sweep, a chunk's render): one assembly.
    static func assemblyKey(jobID: String, frameIndex: Int, scale: Int, round: Int = 0, step: String = "") -> String {
        (round == 0 ? "\(jobID)|\(frameIndex)|\(scale)" : "\(jobID)|\(frameIndex)|\(scale)|\(round)")
            + (step.isEmpty ? "" : "|\(step)")
    }

    /// The default tile budget of a job that sets none (`TileSetting.automatic`): the largest tile whose
    /// stylization fits `TileMemoryModel.taskBytes` of the smallest registered worker.
    func defaultTileBudget(network: VGGNetwork) -> Int {
        let smallest = sessions.values.filter { $0.memoryBytes > 0 }.min {
            $0.memoryBytes / max(1, $0.slots) < $1.memoryBytes / max(1, $1.slots)
        }
        let bytes = TileMemoryModel.taskBytes(workerMemory: smallest?.memoryBytes, slots: smallest?.slots ?? 1)
        return TileMemoryModel.maxTilePixels(memoryBytes: bytes, network: network)
    }

    /// STYLIZE of one tile: the scale's frame size and style targets (one blob per style set), the previous
    /// step's assembled frame to start from (previous scale, or previous round of exact tiles) and, for a later
    /// round of exact tiles, the Gram sums of that frame.
    func addTileInputs(_ a: inout Stylefarm_V1_TaskAssignment, tile: PlannedTile, frameIndex: Int, job: JobContext) throws {
        let plans = job.plan.tilePlans
        guard tile.scale < plans.count else { throw TaskPreparationError(description: "tile task \(a.taskID) names scale \(tile.scale) of \(plans.count)") }
        var inputs = Stylefarm_V1_TileInputs()
        inputs.scaleWidth = UInt32(plans[tile.scale].frameSize.width)
        inputs.scaleHeight = UInt32(plans[tile.scale].frameSize.height)
        inputs.scale = UInt32(tile.scale)
        inputs.scales = UInt32(plans.count)
        inputs.round = UInt32(tile.round)
        inputs.rounds = UInt32(job.plan.tileRounds[tile.scale])
        if let previous = job.plan.previousStep(scale: tile.scale, round: tile.round) {
            inputs.initial = try assembledRef(job: job, jobID: a.jobID, frameIndex: frameIndex, scale: previous.scale,
                                              round: previous.round, step: tile.step)
        }
        if tile.round > 0 {
            inputs.frameGrams = try frameGramsRef(job: job, jobID: a.jobID, frameIndex: frameIndex, scale: tile.scale,
                                                  round: tile.round - 1)
        }
        a.tile = inputs
        if !job.plan.styleGramParts.isEmpty {
            a.styleTargetHashes = [try combinedStyleTargets(job: job, jobID: a.jobID, scale: tile.scale)]
        } else if !a.styleTargetHashes.isEmpty {
            guard tile.scale < a.styleTargetHashes.count else {
                throw TaskPreparationError(description: "job \(a.jobID) has \(a.styleTargetHashes.count) style-target blobs for \(plans.count) scales")
            }
            a.styleTargetHashes = [a.styleTargetHashes[tile.scale]]
        }
        a.regionStyleTargets = try a.regionStyleTargets.map { set in
            guard tile.scale < set.hashes.count else {
                throw TaskPreparationError(description: "job \(a.jobID): a region style set has \(set.hashes.count) blobs for \(plans.count) scales")
            }
            return Stylefarm_V1_StyleTargetSet.with { $0.hashes = [set.hashes[tile.scale]] }
        }
    }

    /// The blob of frame `frameIndex` assembled at `scale` and `round` of its render `step` (an earlier step of
    /// a tiled run, or a tile group's result that other tasks start from or are pulled toward), assembling it
    /// again from its tiles' results if this coordinator has not got it (after a restart).
    func assembledRef(job: JobContext, jobID: String, frameIndex: Int, scale: Int, round: Int = 0,
                      step: String = "") throws -> Stylefarm_V1_BlobRef {
        let key = Self.assemblyKey(jobID: jobID, frameIndex: frameIndex, scale: scale, round: round, step: step)
        let sha: String
        if let kept = assembledScales[key], FileManager.default.fileExists(atPath: intermediatePath(kept)) {
            sha = kept
        } else {
            let assembler = try landedTiles(job: job, frameIndex: frameIndex, scale: scale, round: round, step: step)
            guard assembler.isComplete else {
                throw TaskPreparationError(description: "tiles \(assembler.missingTiles) of scale \(scale) round \(round) of frame \(frameIndex) have no result yet")
            }
            sha = try keepAssembled(assembler.image(), key: key)
        }
        return servedRef(sha: sha, path: intermediatePath(sha), mediaType: "image/png")
    }

    /// Keeps an assembled frame in `<state>/intermediate/` (`TileReassembly.keep`) and remembers it; returns its hash.
    private func keepAssembled(_ image: Image, key: String) throws -> String {
        let sha = try TileReassembly.keep(image, key: key, in: intermediateDirectory)
        assembledScales[key] = sha
        return sha
    }

    /// The result of the tile group `group` (a temporal neighbour, a start image or a blend input of a tiled
    /// job): its frame assembled after the last round of the last scale.
    func groupResultRef(_ group: TileGroup, job: JobContext, jobID: String) throws -> Stylefarm_V1_BlobRef {
        let last = job.plan.tilePlans.count - 1
        return try assembledRef(job: job, jobID: jobID, frameIndex: group.frameIndex, scale: last,
                                round: job.plan.tileRounds[last] - 1, step: group.step)
    }

    /// An assembly of frame `frameIndex` at `scale` of render `step` holding every tile the store has as
    /// completed, read back from their intermediates.
    private func landedTiles(job: JobContext, frameIndex: Int, scale: Int, round: Int, step: String) throws -> TileAssembler {
        try TileReassembly.open(layout: try job.plan.tilePlans[scale].layout(),
                                landed: landedTileFiles(job: job, frameIndex: frameIndex, scale: scale, round: round, step: step))
    }

    /// The intermediates of the tiles of frame `frameIndex` at `scale` and `round` of render `step` that the store
    /// has as completed.
    private func landedTileFiles(job: JobContext, frameIndex: Int, scale: Int, round: Int, step: String) throws -> [TileArrival.Landed] {
        var landed: [TileArrival.Landed] = []
        for task in job.plan.tileTasks(frameIndex: frameIndex, scale: scale, round: round, step: step) {
            guard let index = task.tile?.index, let record = try store.task(task.id), record.state == .completed,
                  let result = record.resultSHA256 else { continue }
            landed.append(.init(tileIndex: index, path: intermediatePath(result)))
        }
        return landed
    }

    /// What the reassembly thread needs to land a tile (loop thread): its frame's layout, whether the assembly
    /// is kept or is the frame's output, and — when this loop does not know the assembly to be open — the
    /// tiles the store already has as completed.
    private func tileArrival(taskID: String, jobID: String, attempt: Int, sha: String, bytes: Data?, frameIndex: Int,
                             tile: PlannedTile, job: JobContext) throws -> TileArrival {
        let key = Self.assemblyKey(jobID: jobID, frameIndex: frameIndex, scale: tile.scale, round: tile.round, step: tile.step)
        guard tile.scale < job.plan.tilePlans.count else {
            throw TaskPreparationError(description: "tile task \(taskID) names scale \(tile.scale) of \(job.plan.tilePlans.count)")
        }
        var arrival = TileArrival(key: key, taskID: taskID, jobID: jobID, attempt: attempt, frameIndex: frameIndex,
                                  tileIndex: tile.index, sha: sha, bytes: bytes, path: intermediatePath(sha),
                                  layout: try job.plan.tilePlans[tile.scale].layout(),
                                  keep: !job.plan.isFinalStep(tile) || job.plan.isNamed(frameIndex: frameIndex, step: tile.step))
        if !openAssemblies.contains(key) {
            arrival.landed = try landedTileFiles(job: job, frameIndex: frameIndex, scale: tile.scale, round: tile.round,
                                                 step: tile.step).filter { $0.tileIndex != tile.index }
            openAssemblies.insert(key)
        }
        if job.plan.isFinalStep(tile) && tile.step.isEmpty {
            guard let output = job.resolved.outputPath(ofFrameAt: frameIndex) else {
                throw TaskPreparationError(description: "tiled frame \(frameIndex) of job \(jobID) has no output path")
            }
            let frame = job.resolved.frames.frames[frameIndex]
            var provenance = Provenance(entries: job.provenance(jobID: jobID, frameIndex: frameIndex))
            provenance[.engine] = Provenance.engineVersion
            provenance[.parameters] = (try? job.wireParameters.jsonString()) ?? ""
            provenance[.tiles] = String(job.plan.tilePlans.last?.tiles.count ?? 0)
            arrival.output = .init(path: output, bitDepth: job.resolved.bitDepth, frameName: frame, attributes: provenance.attributes)
            if job.outputsEXR, let plate = job.resolved.content?.path(for: frame) {
                arrival.output?.exr = .init(encoding: job.resolved.outputEncoding, platePath: plate, plate: job.resolved.plate)
            }
        }
        return arrival
    }

    /// Applies the tiles the reassembly thread has landed (loop thread): a kept assembly is remembered for the
    /// tasks that take it and a written frame recorded before the tile's completion, so no task that needs the
    /// frame is claimable before it exists; a tile that could not be used fails, retryable.
    func recordLandedTiles() {
        for landing in reassembly.finished() {
            if landing.closed { openAssemblies.remove(landing.key) }
            if let failure = landing.failure {
                pendingChanges.append(.failed(taskID: landing.taskID, attempt: landing.attempt,
                                              error: "tile assembly: \(failure)", retryable: true))
                continue
            }
            if let kept = landing.keptSHA { assembledScales[landing.key] = kept }
            if let frameSHA = landing.frameSHA {
                pendingChanges.append(.frameAssembled(jobID: landing.jobID, frameIndex: landing.frameIndex, sha256: frameSHA))
                log("job \(landing.jobID) frame index \(landing.frameIndex): assembled \(landing.tiles) tiles")
            }
            pendingChanges.append(.completed(taskID: landing.taskID, attempt: landing.attempt, resultSHA256: landing.sha))
        }
    }
}
