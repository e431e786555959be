import Engine
import Foundation
import Protocol

/// One task kind on the worker: the blobs it reads (pinned in the cache while it runs, so a full cache never
/// evicts them mid-task) and its work. `TaskExecutor` only looks the runner up by kind, pins, runs it and
/// stores the output. Adding a kind is a runner here, listed in `TaskRunners.all`, plus its proto value,
/// planner rule and assignment builder (docs/ARCHITECTURE.md "Adding a task kind").
protocol TaskRunner: Sendable {
    /// The kind this runner runs.
    var kind: Stylefarm_V1_TaskKind { get }
    /// Every blob `run` may read for `task` (empty hashes are ignored).
    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String]
    /// Runs `task` with the executor's engine, cache and blob source. Cancellation is checked by the runner
    /// where its work allows; `progress` is reported by those that have evaluations (STYLIZE).
    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput
}

/// What a runner made: the output bytes, their media type, and what it reports beyond time and memory.
struct TaskOutput {
    var bytes: [UInt8]
    var mediaType: String
    var stats = Stylefarm_V1_TaskStats()
}

/// Every task kind this worker runs.
enum TaskRunners {
    static let all: [any TaskRunner] = [StylizeRunner(), FlowRunner(), BlendRunner(), StyleGramsRunner(), EchoRunner(), SleepRunner()]
    static let byKind: [Stylefarm_V1_TaskKind: any TaskRunner] = Dictionary(uniqueKeysWithValues: all.map { ($0.kind, $0) })
}
