import Protocol

/// `busy`: every slot runs a task. The coordinator's credit should prevent more assignments; one that
/// arrives anyway is refused with a retryable INTERNAL failure (never queued), and the credit is
/// re-announced.
extension WorkerStateMachine {
    mutating func busyRefuses(_ task: Stylefarm_V1_TaskAssignment, at now: WorkerInstant) -> [Action] {
        [refuse(task, "worker \(configuration.workerID) has no free slot (\(running)/\(configuration.slots) running)", at: now),
         send(.ready(ready), at: now)]
    }
}
