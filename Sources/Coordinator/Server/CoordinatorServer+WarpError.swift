import Foundation

/// Temporal jobs' warp error per frame, measured as frames land (`WarpErrorMeter`, on the maintenance thread) and
/// stored with the frame. A finished job's intermediates (the flows the meter reads) are removed only after its
/// measurements are back.
extension CoordinatorServer {
    /// Starts measuring the pairs the completed tasks may have finished (loop thread; cheap when no cached job
    /// computes flow).
    func measureWarpErrors(after completed: [String]) {
        let temporal = jobContexts.filter { $0.value.resolved.temporal.usesFlow }
        guard !temporal.isEmpty, !completed.isEmpty else { return }
        var pairs: Set<WarpErrorMeter.Pair> = []
        for taskID in completed {
            guard let (jobID, context) = temporal.first(where: { taskID.hasPrefix($0.key + "-") }),
                  let task = context.plan.task(taskID) else { continue }
            pairs.formUnion(WarpErrorMeter.pairs(around: task.frameIndex, jobID: jobID, plan: context.plan, plate: context.resolved.plate))
        }
        guard !pairs.isEmpty else { return }
        let batch = pairs.sorted { ($0.jobID, $0.second) < ($1.jobID, $1.second) }
        for pair in batch { warpMeasurements[pair.jobID, default: 0] += 1 }
        let store = self.store, intermediates = intermediateDirectory
        maintenance.start {
            .warpMeasured(batch.map { WarpErrorMeter.measure($0, store: store, intermediates: intermediates) }, jobs: batch.map(\.jobID))
        }
    }

    /// Stores what the meter measured (loop thread), and releases the intermediates of finished jobs it held.
    func applyWarpMeasurements(_ outcomes: [WarpErrorMeter.Outcome], jobs: [String]) {
        for outcome in outcomes {
            switch outcome {
            case .measured(let m):
                pendingChanges.append(.frameWarpError(jobID: m.pair.jobID, frameIndex: m.pair.second, warpError: m.warpError,
                                                      certain: m.certain))
                if !watchers.isEmpty { frameEvents.append((m.pair.jobID, m.pair.second)) }
            case .failed(let pair, let error):
                log("job \(pair.jobID): no warp error for frame index \(pair.second): \(error)")
            case .skipped:
                break
            }
        }
        for jobID in jobs {
            warpMeasurements[jobID, default: 1] -= 1
            if warpMeasurements[jobID] == 0 { warpMeasurements[jobID] = nil }
        }
        releaseFinishedIntermediates()
    }
}
