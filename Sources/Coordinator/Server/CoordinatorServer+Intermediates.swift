import Foundation

extension CoordinatorServer {
    /// Forgets the context of every cached job that has finished (freed on the maintenance thread: a big job's
    /// plan takes long to free; a later request that needs it, a requeue, restores it from the store), and removes
    /// the intermediate results (flows, earlier sweeps, chunk renders, tiles and assembled earlier scales) of the
    /// temporal and tiled ones. At 1920×1080 one flow pair is 33 MB, so a long shot's intermediates would
    /// otherwise pile up in the state folder. A result another unfinished job also names (equal inputs give equal
    /// hashes) is kept. A job whose warp errors are being measured (they read its flows) waits until they are back.
    func releaseFinishedIntermediates() {
        var done: [String] = []
        for jobID in jobContexts.keys where warpMeasurements[jobID] == nil {
            if let job = try? store.job(jobID), job.state.isTerminal { done.append(jobID) }
        }
        guard !done.isEmpty else { return }
        let withIntermediates = jobContexts.filter { $0.value.resolved.temporal.usesFlow || $0.value.plan.isTiled }
        // The other finished jobs: only their contexts to forget.
        for jobID in done where withIntermediates[jobID] == nil { forgetJob(jobID) }
        let finished = done.filter { withIntermediates[$0] != nil }
        guard !finished.isEmpty else { return }
        var keep = Set<String>()
        for (jobID, _) in withIntermediates where !finished.contains(jobID) {
            for task in (try? store.tasks(ofJob: jobID)) ?? [] where !task.producesOutput {
                if let sha = task.resultSHA256 { keep.insert(sha) }
            }
        }
        for jobID in finished {
            var removed = 0
            for task in (try? store.tasks(ofJob: jobID)) ?? [] where !task.producesOutput {
                guard let sha = task.resultSHA256, !keep.contains(sha) else { continue }
                if (try? FileManager.default.removeItem(atPath: intermediatePath(sha))) != nil { removed += 1 }
                blobs[sha] = nil
            }
            for sha in forgetJob(jobID) where !keep.contains(sha) {
                if (try? FileManager.default.removeItem(atPath: intermediatePath(sha))) != nil { removed += 1 }
            }
            if removed > 0 { log("job \(jobID) finished; removed \(removed) intermediate result(s)") }
        }
    }

    /// Forgets what the loop keeps of a job besides its rows: its context (freed on the maintenance thread), its
    /// open tile assemblies, its combined style targets and its assembled earlier scales, which are no longer
    /// served. Returns those scales' intermediate hashes (their files are the caller's to remove).
    @discardableResult
    func forgetJob(_ jobID: String) -> [String] {
        let doomed = Doomed(jobContexts.removeValue(forKey: jobID))
        maintenance.start {
            doomed.release()
            return .done
        }
        let prefix = jobID + "|"
        var scales: [String] = []
        for (key, sha) in assembledScales where key.hasPrefix(prefix) {
            scales.append(sha)
            blobs[sha] = nil
            assembledScales[key] = nil
        }
        openAssemblies = openAssemblies.filter { !$0.hasPrefix(prefix) }
        reassembly.forget(jobID: jobID)
        for key in combinedTargets.keys where key.hasPrefix(prefix) { combinedTargets[key] = nil }
        return scales
    }
}
