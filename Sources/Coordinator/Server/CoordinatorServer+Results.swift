import Engine
import Foundation
import Protocol

/// A task's output on its way from the worker to the store: checked and written off the loop.
struct WrittenOutput: Sendable {
    var taskID: String
    var jobID: String
    var attempt: Int
    var sha: String
    var bytes: Data
    /// Why the bytes were not taken (hash mismatch, write error); nil when they were.
    var failure: String?
    /// The failure is the coordinator's own (it could not write the file: a full disk, a missing folder), not the
    /// worker's: the frame rendered, so no attempt is charged and the job is paused instead.
    var failedToWrite = false
}

/// A worker's `Result`: checked against the assignment it answers (`ReportCheck`), then, as `OutputIntake`
/// decides, the output taken inline, pulled in chunks (`BlobRequest`/`BlobData`), or (shared filesystem)
/// already in place; hashed and written on the output-write thread, and the task completed in the batch of
/// store changes after it is back.
extension CoordinatorServer {
    func handleResult(_ result: Stylefarm_V1_Result, attachments: [Data], workerID: String) {
        let attempt = Int(result.attempt)
        let task: (id: String, jobID: String, frameIndex: Int)
        switch checkReport(on: result.taskID, attempt: attempt, from: workerID) {
        case .unknownTask:
            stats.drop("unknownTask"); log("result for unknown task \(result.taskID.debugDescription)")
            return
        case .stale:
            stats.staleReports += 1
            log("ignored a stale result for \(result.taskID) attempt \(attempt) from \(workerID)")
            discardStaged(result.stagedPath, taskID: result.taskID, attempt: attempt)
            return
        case .current(let jobID, let frameIndex, let fromTable):
            // The store's state machine still rejects it if the task moved on (cancelled, requeued).
            if fromTable, let sent = assigned[result.taskID] {
                onRoundTrip?(Double(DispatchTime.now().uptimeNanoseconds - sent.sentAt) / 1e9)
            }
            endAssignment(result.taskID, of: workerID)
            task = (result.taskID, jobID, frameIndex)
            metrics.renderSeconds.record(.milliseconds(Int64((max(0, result.stats.wallSeconds) * 1000).rounded())))
            metrics.evaluations.increment(by: Int64(result.stats.iterations))
            metrics.blobBytesReceived.increment(by: Int64(attachments.reduce(0) { $0 + $1.count }))
            keepLog(result.log, taskID: result.taskID, attempt: attempt)
            if result.stats.peakRssBytes > 0 { workerPeakRSS[workerID] = result.stats.peakRssBytes }
            if let stats = Self.attemptStats(result.stats) {
                pendingChanges.append(.attemptStats(taskID: result.taskID, attempt: attempt, stats: stats))
            }
        }
        let context = try? jobContext(task.jobID)
        // Tiles and the style-statistics passes are sized to a memory budget: say what they took.
        let planned = context?.plan.task(task.id)
        // Formatted only for the tasks it is logged for (a per-result String(format:) showed in the dispatch profile).
        var took: String {
            String(format: "%.1f s, worker peak RSS %.0f MB", result.stats.wallSeconds, Double(result.stats.peakRssBytes) / 1e6)
        }
        switch planned?.role {
        case .styleGrams?: log("style-target part \(task.id) from \(workerID): \(took)")
        case .frameGrams?: log("frame statistics \(task.id) from \(workerID): \(took)")
        default:
            if let tile = planned?.tile { log("tile \(task.id) (scale \(tile.scale), round \(tile.round)) from \(workerID): \(took)") }
        }
        var intake = OutputIntake.Task(producesOutput: planned?.producesOutput,
                                       sharedFilesystem: context?.resolved.sharedFilesystem ?? true)
        intake.outputPath = context?.resolved.outputPath(ofFrameAt: task.frameIndex)
        let sha = result.output.sha256.lowercased()
        if !result.stagedPath.isEmpty {
            // Fencing: the current holder's staged output is checked and moved into place off the loop.
            guard let output = intake.outputPath, intake.sharedFilesystem, planned?.producesOutput ?? true,
                  OutputIntake.isStaged(result.stagedPath, for: output, attempt: attempt), BlobName.isValid(sha) else {
                let error = "the worker staged its output at \(Self.bounded(result.stagedPath, bytes: 300).debugDescription), not next to the frame's output"
                pendingChanges.append(.failed(taskID: task.id, attempt: attempt, error: error, retryable: true))
                return
            }
            moveStagedOutput(result.stagedPath, to: output, sha: sha, taskID: task.id, jobID: task.jobID, attempt: attempt)
            return
        }
        switch OutputIntake.decide(sha: sha, hasData: result.hasData, task: intake, intermediatePath: intermediatePath,
                                   exists: { FileManager.default.fileExists(atPath: $0) }) {
        case .refuse(let error):
            pendingChanges.append(.failed(taskID: task.id, attempt: attempt, error: error, retryable: true))
        case .alreadyKept:
            recordCompletion(taskID: task.id, jobID: task.jobID, attempt: attempt, sha: sha, bytes: nil)
        case .takeInline(let path):
            do {
                let bytes = try result.data.resolve(in: attachments)
                acceptOutput(bytes, sha: sha, taskID: task.id, jobID: task.jobID, attempt: attempt, outputPath: path,
                             failurePrefix: "result")
            } catch {
                pendingChanges.append(.failed(taskID: task.id, attempt: attempt, error: "result: \(error)", retryable: true))
            }
        case .fetch(let path):
            fetchSequence += 1
            fetches[task.id] = OutputFetch(sequence: fetchSequence, sha: sha, taskID: task.id, jobID: task.jobID, attempt: attempt,
                                           workerID: workerID, outputPath: path,
                                           assembly: BlobAssembly(maxBytes: UInt64(configuration.maxMessageBytes) * 64))
            var request = Stylefarm_V1_BlobRequest()
            request.sha256 = [sha]
            request.maxChunkBytes = UInt64(configuration.blobChunkBytes)
            send(toWorker: workerID, .blobRequest(request))
        case .completeInPlace:
            pendingChanges.append(.completed(taskID: task.id, attempt: attempt, resultSHA256: sha))
        }
    }

    /// Keeps the log a worker shipped with its current report on an attempt, bounded (`stylefarm logs`).
    func keepLog(_ text: String, taskID: String, attempt: Int) {
        guard !text.isEmpty else { return }
        pendingChanges.append(.attemptLog(taskID: taskID, attempt: attempt, text: Self.bounded(text, bytes: Self.maxLogBytes)))
    }

    /// A worker's `TaskStats` as kept with its attempt; nil when a value is not a finite, non-negative number (a
    /// peer's numbers are checked before they are stored).
    static func attemptStats(_ s: Stylefarm_V1_TaskStats) -> AttemptStats? {
        let losses = [s.finalLosses.total, s.finalLosses.content, s.finalLosses.style, s.finalLosses.tv]
        guard s.wallSeconds.isFinite, s.wallSeconds >= 0, losses.allSatisfy(\.isFinite) else { return nil }
        return AttemptStats(wallSeconds: s.wallSeconds, evaluations: Int(s.iterations), peakRSSBytes: s.peakRssBytes,
                            lossTotal: losses[0], lossContent: losses[1], lossStyle: losses[2], lossTV: losses[3])
    }

    /// The most of an attempt's log the coordinator keeps (the worker sends at most this: `TaskLog.maxBytes`).
    static let maxLogBytes = 256 << 10

    /// `ReportCheck` of a worker's report against this server's assignment table, else the store.
    func checkReport(on taskID: String, attempt: Int, from workerID: String) -> ReportCheck.Verdict {
        ReportCheck.check(attempt: attempt, from: workerID, sent: assigned[taskID]?.sent, stored: { try store.task(taskID) })
    }

    /// The holder's report on `taskID` was current (a Result or a Failure): the task leaves its in-flight
    /// record, the assignment table and the progress shown to watchers.
    func endAssignment(_ taskID: String, of workerID: String) {
        assigned[taskID] = nil
        deadlines.end(taskID)
        blobGrants.end(task: taskID, of: workerID)
        liveness.release(taskID, from: workerID)
        taskProgress[taskID] = nil
        liveLogs.end(taskID)
    }

    /// Ends `taskID`'s assignment and tells its worker to drop the task (a cancelled job, a recall, a timeout,
    /// a preemption). The store change that goes with it is the caller's.
    func withdraw(_ taskID: String, jobID: String, from workerID: String, reason: String) {
        endAssignment(taskID, of: workerID)
        fetches[taskID] = nil
        var cancel = Stylefarm_V1_Cancel()
        cancel.taskID = taskID
        cancel.jobID = jobID
        cancel.reason = reason
        send(toWorker: workerID, .cancel(cancel))
    }

    /// Calls a held task back to the queue: withdrawn from its worker, its attempt ended as cancelled and not counted.
    func recall(_ task: TaskRecord, reason: String) {
        guard let workerID = task.assignedWorker else { return }
        withdraw(task.id, jobID: task.jobID, from: workerID, reason: reason)
        pendingChanges.append(.recalled(taskID: task.id, attempt: task.currentAttempt, reason: reason))
    }

    func receiveOutputChunk(_ chunk: Stylefarm_V1_BlobData, attachments: [Data], workerID: String) {
        metrics.blobBytesReceived.increment(by: Int64(attachments.reduce(0) { $0 + $1.count }))
        let sha = chunk.sha256.lowercased()
        // The worker serves its pulls in the order they were asked for: the oldest open one of this hash.
        guard var fetch = fetches.values.filter({ $0.workerID == workerID && $0.sha == sha }).min(by: { $0.sequence < $1.sequence }) else {
            stats.drop("unexpectedBlob"); return
        }
        let output: Data
        switch fetch.assembly.add(chunk, attachments: attachments) {
        case .more:
            fetches[fetch.taskID] = fetch
            return
        case .failed(let reason):
            fetches[fetch.taskID] = nil
            let error = chunk.notFound ? "worker lost the output blob \(sha)" : "bad output chunk for \(sha): \(reason)"
            pendingChanges.append(.failed(taskID: fetch.taskID, attempt: fetch.attempt, error: error, retryable: true))
            return
        case .complete(let whole):
            output = whole
        }
        fetches[fetch.taskID] = nil
        acceptOutput(output, sha: sha, taskID: fetch.taskID, jobID: fetch.jobID, attempt: fetch.attempt,
                     outputPath: fetch.outputPath, failurePrefix: "output")
    }

    /// Why the coordinator could not prepare a task's inputs or take its result: an input task with no
    /// result yet, a plan and stored state that disagree, a result that is not what it claims. The task
    /// fails with this description.
    struct TaskPreparationError: Error, CustomStringConvertible {
        var description: String
    }

    /// Verifies the output's hash and writes it atomically to `outputPath` (nil: verify only) on the
    /// output-write thread (a 4K frame is 25 MB to hash and write: tens of milliseconds the loop does not
    /// wait for); `recordWrittenOutputs` completes the task, or fails the attempt, when it is back.
    func acceptOutput(_ bytes: Data, sha: String, taskID: String, jobID: String, attempt: Int, outputPath: String?,
                      failurePrefix: String) {
        outputWrites.start {
            var written = WrittenOutput(taskID: taskID, jobID: jobID, attempt: attempt, sha: sha, bytes: bytes)
            let actual = BlobName.of(bytes)
            if actual != sha {
                written.failure = "\(failurePrefix): SHA-256 mismatch: announced \(sha), got \(actual)"
            } else if let outputPath {
                do { try Self.writeFile([UInt8](bytes), to: outputPath) } catch {
                    let reason = Self.describe(error)
                    written.failure = reason.contains(outputPath) ? reason : "cannot write \(outputPath): \(reason)"
                    written.failedToWrite = true
                }
            }
            return written
        }
    }

    /// Records the outputs written since the last iteration (loop thread): completed, or the attempt failed
    /// (retryable) with why the bytes were not taken.
    func recordWrittenOutputs() {
        for written in outputWrites.finished() {
            if let failure = written.failure, written.failedToWrite {
                outputNotWritten(taskID: written.taskID, attempt: written.attempt, jobID: written.jobID, failure: failure)
            } else if let failure = written.failure {
                pendingChanges.append(.failed(taskID: written.taskID, attempt: written.attempt, error: failure, retryable: true))
            } else {
                recordCompletion(taskID: written.taskID, jobID: written.jobID, attempt: written.attempt, sha: written.sha,
                                 bytes: written.bytes)
            }
        }
    }

    /// Checks a staged output's bytes against its announced hash and renames it over the frame's output, on the
    /// output-write thread; `recordWrittenOutputs` completes the task. A staged file that fails the check is removed.
    func moveStagedOutput(_ staged: String, to output: String, sha: String, taskID: String, jobID: String, attempt: Int) {
        outputWrites.start {
            var written = WrittenOutput(taskID: taskID, jobID: jobID, attempt: attempt, sha: sha, bytes: Data())
            do {
                let actual = BlobName.of(try Data(contentsOf: URL(fileURLWithPath: staged)))
                if actual != sha {
                    written.failure = "staged output: SHA-256 mismatch: announced \(sha), got \(actual)"
                } else if rename(staged, output) != 0 {
                    written.failure = "cannot move the staged output into place at \(output): \(String(cString: strerror(errno)))"
                }
            } catch {
                written.failure = "cannot read the staged output \(staged): \(Self.describe(error))"
            }
            if written.failure != nil { unlink(staged) }
            return written
        }
    }

    /// A superseded attempt's staged output (its result came too late): removed, so it can never be moved into place.
    func discardStaged(_ staged: String, taskID: String, attempt: Int) {
        guard !staged.isEmpty, let task = try? store.task(taskID),
              let output = (try? jobContext(task.jobID))?.resolved.outputPath(ofFrameAt: task.frameIndex),
              OutputIntake.isStaged(staged, for: output, attempt: attempt) else { return }
        unlink(staged)
    }

    /// The coordinator could not write a task's output (issue 18): the attempt is called back without being counted
    /// (the frame rendered; the disk is at fault) and the job is paused with the reason, until a wrangler frees the
    /// space and resumes it. Other jobs go on.
    func outputNotWritten(taskID: String, attempt: Int, jobID: String, failure: String) {
        pendingChanges.append(.recalled(taskID: taskID, attempt: attempt, reason: failure))
        let reason = "\(failure); free the space or fix the folder, then run `stylefarm resume \(jobID)`"
        do {
            if try store.pauseJob(jobID, reason: reason, now: clock.now()) { log("job \(jobID) paused: \(reason)") }
        } catch {
            log("could not pause job \(jobID) after \(failure): \(error)")
        }
        frameEvents.append((jobID, -1))
    }

    /// An error as a user reads it: the POSIX reason (\"No space left on device\") where there is one.
    static func describe(_ error: any Error) -> String {
        FileBytes.posixCode(of: error).map { String(cString: strerror($0)) } ?? "\(error)"
    }

    /// Writes `bytes` to `path` atomically (`FileBytes.writeAtomically`), creating its folder: frame outputs,
    /// fetched results and assembled tiles alike.
    static func writeFile(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try FileBytes.writeAtomically(bytes, to: path)
    }
}
