import Foundation
import Protocol

/// ECHO (diagnostic): sleeps `diagnostic_duration_ms` (cancellable), then returns the content unchanged.
struct EchoRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .echo }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] { [task.content.sha256] }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        try executor.sleep(task, cancellation: cancellation)
        return TaskOutput(bytes: try executor.content(of: task), mediaType: task.content.mediaType)
    }
}

/// SLEEP (diagnostic): sleeps `diagnostic_duration_ms` (cancellable), then returns an empty output.
struct SleepRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .sleep }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] { [] }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        try executor.sleep(task, cancellation: cancellation)
        return TaskOutput(bytes: [], mediaType: "application/octet-stream")
    }
}
