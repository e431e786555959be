import Foundation
import Protocol

/// BLEND: the weighted sum of other tasks' results (the frames two chunks share), encoded like a stylized
/// frame (TaskExecutor+Temporal.swift).
struct BlendRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .blend }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] {
        // An OpenEXR output also reads the frame's plate (its alpha and other layers).
        task.blendInputs.map(\.image.sha256) + (task.outputExr ? [task.content.sha256] : [])
    }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        TaskOutput(bytes: try executor.blend(task), mediaType: task.outputExr ? "image/x-exr" : "image/png")
    }
}
