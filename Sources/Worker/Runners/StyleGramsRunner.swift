import Engine
import Foundation
import Protocol

/// STYLE_GRAMS: the Gram sums of some cores of one style image (or of an assembled frame, for exact tiles)
/// at one scale, part of a job's style targets (TaskExecutor+StyleGrams.swift).
struct StyleGramsRunner: TaskRunner {
    var kind: Stylefarm_V1_TaskKind { .styleGrams }

    func inputs(of task: Stylefarm_V1_TaskAssignment) -> [String] {
        task.styles.map(\.sha256)
    }

    func run(_ task: Stylefarm_V1_TaskAssignment, on executor: TaskExecutor, cancellation: TaskCancellation,
             progress: ((Stylefarm_V1_Progress) -> Void)?) throws -> TaskOutput {
        TaskOutput(bytes: try executor.styleGrams(task, cancellation: cancellation), mediaType: GramSums.mediaType)
    }
}
