import Engine
import Foundation
import Protocol

/// FLOW: DIS optical flow both ways between two content frames, as an `Engine.FlowPair` blob
/// (TaskExecutor+Temporal.swift).
struct FlowRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .flow }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] {
        [task.content.sha256, task.secondContent.sha256]
    }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        TaskOutput(bytes: try executor.flow(task), mediaType: FlowPair.mediaType)
    }
}
