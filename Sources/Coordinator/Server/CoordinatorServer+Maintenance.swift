import Foundation
import Protocol

/// What finished on the maintenance thread: a job's deletion, or a garbage collection.
enum MaintenanceOutcome: Sendable {
    case deleted(ticket: ClientTicket, jobID: String, reply: Stylefarm_V1_DeleteJobReply)
    case collected(ticket: ClientTicket?, report: GarbageCollector.Report)
    /// Work with nothing to answer: a finished job's context freed, a worker's last-seen time written.
    case done
    /// Warp errors measured (`WarpErrorMeter`); `jobs`: the job of each pair started.
    case warpMeasured([WarpErrorMeter.Outcome], jobs: [String])
}

/// Deleting jobs and collecting garbage (issue 18), on the maintenance thread: the loop cancels what runs and
/// forgets its own state of a job, the thread reads what to remove, deletes the rows (in short transactions)
/// and the files, and the loop answers the client.
extension CoordinatorServer {
    func handleDelete(_ request: Stylefarm_V1_DeleteJob, call: ClientCall, as identity: ClientIdentity) {
        var reply = Stylefarm_V1_DeleteJobReply()
        let jobID = request.jobID
        do {
            if case .failure(let refusal) = try readModel.accessibleJob(jobID, by: identity) {
                reply.error = refusal.error
                return replyToClient(call, .deleteJob(reply))
            }
            if try store.job(jobID)?.state.isTerminal == false { _ = try cancelJob(jobID) }
        } catch {
            reply.error = Self.clientError(.internal, "\(error)")
            return replyToClient(call, .deleteJob(reply))
        }
        // The loop's own state of the job (its assembled scales are intermediate files to remove too), its watches.
        // Its context is freed on the maintenance thread: a million-frame job's plan takes 0.4 s to free.
        let extra = forgetJob(jobID)
        readModel.forget(jobID)
        watchers.removeAll { $0.jobID == jobID }
        let store = self.store, intermediates = intermediateDirectory, outputs = request.outputs, checkouts = checkoutsRoot
        let ticket = call.ticket
        maintenance.start {
            var reply = Stylefarm_V1_DeleteJobReply()
            do {
                let keep = try store.referencedBlobs().intermediates
                var files = extra.filter { !keep.contains($0) }.map { intermediates.appendingPathComponent($0).path }
                for task in try store.tasks(ofJob: jobID) where !task.producesOutput {
                    if let sha = task.resultSHA256, !keep.contains(sha) { files.append(intermediates.appendingPathComponent(sha).path) }
                }
                var checkoutsInUse = try store.checkoutsByJob(under: checkouts)
                let ownCheckouts = checkoutsInUse.removeValue(forKey: jobID) ?? []
                var outputPaths: Set<String> = []
                if outputs { outputPaths = Set(try store.frames(ofJob: jobID).map(\.outputPath).filter { !$0.isEmpty }) }
                reply.tasksDeleted = UInt32(clamping: try store.deleteJob(jobID))
                var freed: Int64 = 0
                for path in Set(files).union(outputPaths) {
                    var info = stat()
                    guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, unlink(path) == 0 else { continue }
                    reply.filesRemoved += 1
                    freed += Int64(info.st_size)
                    if outputPaths.contains(path) { reply.outputsRemoved += 1 }
                }
                // Its upload checkout, unless another job reads from it too.
                for checkout in ownCheckouts.subtracting(checkoutsInUse.values.joined()) {
                    freed += Self.removeTree(checkout, counting: &reply.filesRemoved)
                }
                reply.bytesFreed = UInt64(max(0, freed))
            } catch let error as PersistenceError where error.isRefusal {
                reply.error = Self.clientError(.failedPrecondition, "\(error)")
            } catch {
                reply.error = Self.clientError(.internal, "\(error)")
            }
            return .deleted(ticket: ticket, jobID: jobID, reply: reply)
        }
    }

    /// Removes a folder and what is in it (links are removed, never followed); returns the bytes freed.
    static func removeTree(_ path: String, counting files: inout UInt32) -> Int64 {
        var freed: Int64 = 0
        if let entries = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in entries {
                var info = stat()
                let full = path + "/" + relative
                if lstat(full, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
                    files += 1
                    // Checkout files are hard links to upload blobs: the bytes are freed when the last link goes.
                    if info.st_nlink <= 1 { freed += Int64(info.st_size) }
                }
            }
        }
        try? FileManager.default.removeItem(atPath: path)
        return freed
    }

    /// `<state>/uploads/checkouts`, standardized (the form stored jobs name their checkout paths in).
    var checkoutsRoot: String {
        configuration.stateDirectory.appendingPathComponent("uploads/checkouts", isDirectory: true).standardizedFileURL.path
    }

    /// How old an upload checkout no job reads from must be before a collection removes it: `submit --upload`
    /// submits seconds after its checkout; a day leaves room for one made by hand and submitted later.
    static let orphanCheckoutAge: TimeInterval = 24 * 3600

    /// Starts a garbage collection on the maintenance thread (`ticket`: a client's `stylefarm gc`, else periodic).
    func startGarbageCollection(ticket: ClientTicket?) {
        let store = self.store
        // What the loop holds besides the rows: assembled scales (intermediates), combined targets (style blobs).
        let keepIntermediates = Set(assembledScales.values), keepTargets = Set(combinedTargets.values)
        let intermediates = intermediateDirectory.path, targets = styleTargets.directory.path
        let uploadBlobs = configuration.stateDirectory.appendingPathComponent("uploads/blobs", isDirectory: true).path
        let checkouts = checkoutsRoot
        nextCollection = clock.now().addingTimeInterval(configuration.garbageCollectionInterval ?? .infinity)
        maintenance.start {
            let now = Date()   // files' ages are against their real modification times
            guard let referenced = try? store.referencedBlobs(),
                  let byJob = try? store.checkoutsByJob(under: checkouts) else { return .collected(ticket: ticket, report: .init()) }
            let inUse = Set(byJob.values.joined())
            // Checkouts first: their links are what keeps upload blobs (a day old or more) from being collected.
            var removed: UInt32 = 0, freed: Int64 = 0
            for orphan in GarbageCollector.orphanCheckouts(root: checkouts, referenced: inUse, minimumAge: Self.orphanCheckoutAge, now: now) {
                freed += Self.removeTree(orphan, counting: &removed)
            }
            var report = GarbageCollector.collect([
                .init(path: intermediates, minimumAge: 600, rule: .keep(referenced.intermediates.union(keepIntermediates))),
                .init(path: targets, minimumAge: 600, rule: .keep(referenced.styleTargets.union(keepTargets))),
                // An upload's blobs may wait hours for the checkout that links them (a big shot uploads for long).
                .init(path: uploadBlobs, minimumAge: 24 * 3600, rule: .unlinked),
            ], now: now)
            report.files += Int(removed)
            report.bytes += freed
            return .collected(ticket: ticket, report: report)
        }
    }

    /// Answers what the maintenance thread finished (loop thread).
    func answerMaintenance() {
        for outcome in maintenance.finished() {
            switch outcome {
            case .deleted(let ticket, let jobID, let reply):
                if !reply.hasError {
                    log("job \(jobID) deleted: \(reply.tasksDeleted) task(s), \(reply.filesRemoved) file(s), \(reply.bytesFreed) bytes freed")
                }
                send(.deleteJob(reply), to: ticket)
            case .collected(let ticket, let report):
                if report.files > 0 { log("garbage collection: \(report.files) unreferenced file(s), \(report.bytes) bytes freed") }
                guard let ticket else { continue }
                var reply = Stylefarm_V1_CollectGarbageReply()
                reply.filesRemoved = UInt32(clamping: report.files)
                reply.bytesFreed = UInt64(max(0, report.bytes))
                send(.collectGarbage(reply), to: ticket)
            case .done:
                break
            case .warpMeasured(let outcomes, let jobs):
                applyWarpMeasurements(outcomes, jobs: jobs)
            }
        }
        if let interval = configuration.garbageCollectionInterval, interval > 0, clock.now() >= nextCollection, maintenance.inFlight == 0 {
            startGarbageCollection(ticket: nil)
        }
    }
}
