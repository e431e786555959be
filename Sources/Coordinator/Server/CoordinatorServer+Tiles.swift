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
/// the tiles that already landed. Tiles are added to the frame's `TileAssembler` as they arrive; when the
/// last one lands the frame is encoded and written to its output path (`frameAssembled`) before the tile's
/// completion is recorded, or — for an earlier scale of a multi-scale run — kept as an intermediate that
/// the next scale's tiles start from.
extension CoordinatorServer {
    /// Records a task's result as completed, after `tileLanded` (a tile that cannot be assembled fails,
    /// retryable, instead). Every accepted result goes through here.
    func recordCompletion(taskID: String, jobID: String, attempt: Int, sha: String, bytes: Data?) {
        do {
            try tileLanded(taskID: taskID, jobID: jobID, sha: sha, bytes: bytes)
        } catch {
            pendingChanges.append(.failed(taskID: taskID, attempt: attempt, error: "tile assembly: \(error)", retryable: true))
            return
        }
        pendingChanges.append(.completed(taskID: taskID, attempt: attempt, resultSHA256: sha))
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

    /// Encodes an earlier scale's assembled frame (16-bit, so the next scale starts from what was
    /// rendered, not from a rounded copy) into `<state>/intermediate/`; returns its hash.
    private func keepAssembled(_ image: Image, key: String) throws -> String {
        let png = [UInt8](try ImageWriter.encodePNG(image, bitDepth: 16, name: "assembled \(key)"))
        let sha = BlobName.of(png)
        try Self.writeFile(png, to: intermediatePath(sha))
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
    /// completed (but `excluding`), read back from their intermediates.
    private func landedTiles(job: JobContext, frameIndex: Int, scale: Int, round: Int, step: String,
                             excluding: String? = nil) throws -> TileAssembler {
        var assembler = try TileAssembler(layout: try job.plan.tilePlans[scale].layout(), channels: 3)
        for task in job.plan.tileTasks(frameIndex: frameIndex, scale: scale, round: round, step: step) where task.id != excluding {
            guard let index = task.tile?.index, let record = try store.task(task.id), record.state == .completed,
                  let result = record.resultSHA256 else { continue }
            try assembler.add(tile: index, image: try tileImage(sha: result, taskID: task.id, channels: 3))
        }
        return assembler
    }

    /// A tile's result, decoded from its intermediate file.
    private func tileImage(sha: String, taskID: String, channels: Int) throws -> Image {
        let image = try ImageReader.read(path: intermediatePath(sha))
        if image.channels == channels { return image }
        guard channels == 3 else { throw TaskPreparationError(description: "tile \(taskID) has \(image.channels) channels, the frame \(channels)") }
        return image.toRGB()
    }

    /// Called when a tile task's result `bytes` (hash `sha`, already kept as an intermediate) is accepted and
    /// before its completion is recorded: adds it to its frame's assembly, and when it was the last tile,
    /// writes the frame (the output render's last step) or keeps the assembly (an earlier step, or a render
    /// that other tasks start from, are pulled toward or blend). Nothing for other tasks. Throws when the
    /// tile cannot be used (the tile is then retried).
    func tileLanded(taskID: String, jobID: String, sha: String, bytes: Data?) throws {
        guard let job = try? jobContext(jobID), let planned = job.plan.task(taskID), let tile = planned.tile else { return }
        let key = Self.assemblyKey(jobID: jobID, frameIndex: planned.frameIndex, scale: tile.scale, round: tile.round,
                                   step: tile.step)
        let image: Image
        if let bytes {
            image = try ImageReader.decode(bytes: [UInt8](bytes), name: "tile \(taskID)").toRGB()
        } else {
            image = try tileImage(sha: sha, taskID: taskID, channels: 3)
        }
        var assembler: TileAssembler
        if let open = tileAssemblies[key] {
            assembler = open
        } else {
            // First tile of this assembly on this coordinator: take the tiles that landed before a restart.
            assembler = try landedTiles(job: job, frameIndex: planned.frameIndex, scale: tile.scale, round: tile.round,
                                        step: tile.step, excluding: taskID)
        }
        if !assembler.hasTile(tile.index) { try assembler.add(tile: tile.index, image: image) }
        guard assembler.isComplete else { tileAssemblies[key] = assembler; return }
        tileAssemblies[key] = nil
        let frame = try assembler.image()
        // An earlier step, or a render another task starts from, is pulled toward or blends (a sweep, a chunk's
        // render, a sequential frame's output): kept for the tasks that take it.
        if !job.plan.isFinalStep(tile) || job.plan.isNamed(frameIndex: planned.frameIndex, step: tile.step) {
            _ = try keepAssembled(frame, key: key)
        }
        guard job.plan.isFinalStep(tile) && tile.step.isEmpty else { return }
        let frames = job.resolved.frames.frames
        guard planned.frameIndex < frames.count, let output = job.resolved.output?.path(for: frames[planned.frameIndex]) else {
            throw TaskPreparationError(description: "tiled frame \(planned.frameIndex) of job \(jobID) has no output path")
        }
        let png = [UInt8](try ImageWriter.encodePNG(frame, bitDepth: job.resolved.bitDepth, name: "frame \(output)"))
        try Self.writeFile(png, to: output)
        pendingChanges.append(.frameAssembled(jobID: jobID, frameIndex: planned.frameIndex, sha256: BlobName.of(png)))
        log("job \(jobID) frame \(frames[planned.frameIndex]): assembled \(job.plan.tilePlans.last!.tiles.count) tiles into \(output)")
    }
}
