import Engine
import Foundation
import Protocol

/// STYLIZE: one frame (or one tile of it) stylized with the job's parameters and style targets, with its
/// regions and temporal terms when the task has them (TaskExecutor.swift, +Regions, +Temporal, +Tiles).
struct StylizeRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .stylize }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] {
        [task.content.sha256] + task.styles.map(\.sha256) + task.styleTargetHashes
            + task.regionStyleTargets.flatMap(\.hashes) + [task.regionMask.sha256]
            + task.temporal.neighbours.flatMap { [$0.result.sha256, $0.flow.sha256, $0.content.sha256, $0.regionMask.sha256] }
            + [task.temporal.initial.sha256, task.tile.initial.sha256, task.tile.frameGrams.sha256]
    }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        let run = try executor.stylize(task, cancellation: cancellation, progress: progress)
        var output = TaskOutput(bytes: run.bytes, mediaType: task.outputExr ? "image/x-exr" : "image/png")
        output.stats.finalLosses = TaskExecutor.losses(run.finalLosses)
        output.stats.iterations = UInt32(clamping: run.evaluations)
        return output
    }
}
