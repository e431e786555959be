import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// Dispatch: tasks claimed for workers with credit (one transaction per worker), their assignments built from
/// the job's context and plan (parked while an input file is hashed off the loop) and sent, with the blobs
/// each may fetch granted.
extension CoordinatorServer {
    func dispatch() {
        let now = clock.now()
        // While the store cannot write, claims would fail too (and be logged per worker per iteration).
        if let retryAt = storeRetryAt, now < retryAt { return }
        // Nothing was claimable last time and nothing that could change that happened since: no claim (each is a
        // write transaction, which waits while another thread writes) until something does. Once a second a read
        // (which never waits) checks anyway, as a safety net.
        if !claimsMayFind {
            guard now >= nextIdleClaim else { return }
            nextIdleClaim = now.addingTimeInterval(Self.idleClaimInterval)
            guard (try? store.readyTasks(atOrAbove: 0, limit: 1)) != nil else { return }
        }
        var drained = false
        defer {
            claimsMayFind = !drained
            nextIdleClaim = now.addingTimeInterval(Self.idleClaimInterval)
        }
        for id in liveness.workersWithCredit {
            guard sessions[id] != nil, unhealthyWorkers[id] == nil else { continue }
            let wanted = liveness.credits(for: id)
            guard wanted > 0 else { continue }
            let claims: [TaskClaim]
            let start = ContinuousClock.now
            defer { metrics.storeWriteSeconds.record(ContinuousClock.now - start) }
            do { claims = try store.claimTasks(for: id, max: wanted, now: now) } catch {
                storeCannotWrite(error, waiting: pendingChanges.count)
                return
            }
            if claims.count < wanted { drained = true }
            for claim in claims {
                _ = liveness.reserve([claim.task.id], for: id)
                assign(claim, to: id)
            }
        }
    }

    /// Builds `claim`'s assignment and sends it to worker `id` (which holds its credit); parks it while an
    /// input file it names is hashed off the loop (`assignHashedInputs` builds it again).
    func assign(_ claim: TaskClaim, to id: String) {
        do {
            let assignment = try makeAssignment(claim)
            if let bytes = try? assignment.serializedData() {
                blobGrants.grant(BlobGrants.hashes(inSerialized: bytes), task: claim.task.id, to: id)
            }
            send(toWorker: id, .task(assignment))
            stats.dispatched += 1
            metrics.dispatched.increment()
            let job = jobContexts[claim.task.jobID]
            deadlines.start(claim.task.id, attempt: claim.attempt, workerID: id,
                            limit: job?.resolved.taskTimeout ?? configuration.defaultTaskTimeout, now: clock.now())
            assigned[claim.task.id] = (ReportCheck.Sent(jobID: claim.task.jobID, frameIndex: claim.task.frameIndex,
                                                        attempt: claim.attempt, workerID: id),
                                       DispatchTime.now().uptimeNanoseconds)
        } catch let missing as InputNotHashed {
            if inputHashes.park(claim, for: id, waitingOn: missing.path) { hashInput(missing.path) }
        } catch {
            failUnassignable(claim, of: id, error: "\(error)")
        }
    }

    /// The worker never sees this task: its credit goes back, or it would wait for work forever.
    func failUnassignable(_ claim: TaskClaim, of id: String, error: String) {
        liveness.unreserve(claim.task.id, for: id)
        log("cannot assign \(claim.task.id): \(error)")
        pendingChanges.append(.failed(taskID: claim.task.id, attempt: claim.attempt, error: "coordinator: \(error)", retryable: false,
                                      byWorker: false))
    }

    /// Reads and hashes the input file `path` on the input-hashing thread.
    func hashInput(_ path: String) {
        inputHashing.start {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                return HashedInput(path: path, entry: .init(sha: BlobName.of(data), size: data.count))
            } catch {
                return HashedInput(path: path, error: "cannot read \(path): \(error.localizedDescription)")
            }
        }
    }

    /// Builds again the claims that waited for input files hashed since the last iteration (loop thread); a
    /// claim whose task moved on meanwhile (cancelled, requeued, its worker gone) gives its credit back unsent.
    func assignHashedInputs() {
        for hashed in inputHashing.finished() {
            for parked in inputHashes.hashed(hashed.path, entry: hashed.entry) {
                let task = try? store.task(parked.claim.task.id)
                guard liveness.isAlive(parked.workerID), let task, task.state == .assigned,
                      task.currentAttempt == parked.claim.attempt, task.assignedWorker == parked.workerID else {
                    liveness.unreserve(parked.claim.task.id, for: parked.workerID)
                    claimsMayFind = true   // its credit is back
                    continue
                }
                if let error = hashed.error {
                    failUnassignable(parked.claim, of: parked.workerID, error: error)
                } else {
                    assign(parked.claim, to: parked.workerID)
                }
            }
        }
    }

    /// Where a task's result lives on the coordinator when it is not a frame's output (flows,
    /// intermediate sweeps and chunk renders): `<state>/intermediate/<sha256>`.
    func intermediatePath(_ sha: String) -> String {
        intermediateDirectory.appendingPathComponent(sha).path
    }

    /// `<state>/intermediate/`.
    var intermediateDirectory: URL { Self.intermediateDirectory(in: configuration.stateDirectory) }

    static func intermediateDirectory(in stateDirectory: URL) -> URL {
        stateDirectory.appendingPathComponent("intermediate", isDirectory: true)
    }

    func jobContext(_ jobID: String) throws -> JobContext {
        if let cached = jobContexts[jobID] { return cached }
        guard let record = try store.job(jobID) else { throw PersistenceError.jobNotFound(jobID) }
        let context = try JobContext(restoring: record, styleTargets: styleTargets)
        install(context, jobID: jobID)
        return context
    }

    /// Caches a job's context and serves its style-target blobs (and its OpenColorIO conversion's).
    func install(_ context: JobContext, jobID: String) {
        for sha in context.styleTargetBlobs + context.regionTargetBlobs.flatMap({ $0 }) + [context.ocioConversionBlob].compactMap({ $0 }) {
            blobs[sha] = styleTargets.path(of: sha)
        }
        jobContexts[jobID] = context
        readModel.note(context.resolved.frames.frames, of: jobID)
    }

    /// The blob ref of an input file, remembered in the blob table. Throws `InputNotHashed` until the file has
    /// been hashed off the loop (`assign` parks the claim and starts that).
    func blobRef(forFile path: String, mediaType: String) throws -> Stylefarm_V1_BlobRef {
        guard let entry = inputHashes.entry(for: path) else { throw InputNotHashed(path: path) }
        blobs[entry.sha] = path
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = entry.sha
        ref.size = UInt64(entry.size)
        ref.mediaType = mediaType
        return ref
    }

    func makeAssignment(_ claim: TaskClaim) throws -> Stylefarm_V1_TaskAssignment {
        let task = claim.task
        let job = try jobContext(task.jobID)
        var a = Stylefarm_V1_TaskAssignment()
        a.taskID = task.id
        a.jobID = task.jobID
        a.attempt = UInt32(claim.attempt)
        a.frameIndex = UInt32(task.frameIndex)
        var rect = Stylefarm_V1_Rect()
        rect.x = UInt32(task.region.x); rect.y = UInt32(task.region.y)
        rect.width = UInt32(task.region.width); rect.height = UInt32(task.region.height)
        a.region = rect
        a.frameWidth = UInt32(job.frameSize.width)
        a.frameHeight = UInt32(job.frameSize.height)
        if job.resolved.kind == .stylize {  // diagnostic tasks need neither
            a.parameters = job.wireParameters
            a.plate = job.wirePlate
        }
        let frames = job.resolved.frames.frames
        let contentPath = task.frameIndex < frames.count ? job.resolved.content?.path(for: frames[task.frameIndex]) : nil
        let planned = job.plan.task(task.id)
        if let planned {
            switch planned.role {
            case .flow(let second): return try makeFlowAssignment(a, job: job, first: contentPath, second: second)
            case .blend: return try makeBlendAssignment(a, planned: planned, job: job)
            case .styleGrams(let part): return try makeStyleGramsAssignment(a, part: job.plan.styleGramParts[part], job: job)
            case .frameGrams(let scale, let round, let core, let cores):
                return try makeFrameGramsAssignment(a, frameIndex: task.frameIndex, scale: scale, round: round, core: core,
                                                    cores: cores, job: job)
            case .stylize: break
            }
        }
        switch job.resolved.kind {
        case .stylize:
            a.kind = .stylize
            if let planned { try addTemporalInputs(&a, planned: planned, job: job) }
            // Targets the workers computed: a whole frame takes every scale's; a tile only its own (addTileInputs).
            a.styleTargetHashes = planned?.size != nil ? []
                : job.plan.styleGramParts.isEmpty || planned?.tile != nil ? job.styleTargetBlobs
                : try (0..<job.resolved.parameters.scales).map { try combinedStyleTargets(job: job, jobID: task.jobID, scale: $0) }
            if job.resolved.regions != nil, let wire = job.wireRegions {
                a.regions = wire
                a.regionStyleTargets = job.regionTargetBlobs.map { hashes in Stylefarm_V1_StyleTargetSet.with { $0.hashes = hashes } }
                if task.frameIndex < frames.count, let maskPath = job.resolved.regionMaskPath(forFrame: frames[task.frameIndex]) {
                    a.regionMask = try blobRef(forFile: maskPath, mediaType: Self.imageMediaType(maskPath))
                    if job.resolved.sharedFilesystem { a.regionMaskPath = maskPath }
                }
            }
            if let tile = planned?.tile { try addTileInputs(&a, tile: tile, frameIndex: task.frameIndex, job: job) }
        case .echo:
            // Echo jobs with content frames echo them back; without content they only sleep.
            a.kind = contentPath == nil ? .sleep : .echo
            a.diagnosticDurationMs = UInt32(clamping: Int(job.resolved.echoSeconds * 1000))
        }
        // In shared-filesystem mode workers read and write the paths themselves; the content ref still
        // names the frame by hash (and the blob table can serve it as a fallback).
        if let contentPath {
            a.content = try blobRef(forFile: contentPath, mediaType: Self.imageMediaType(contentPath))
            // A task whose result is the frame's output says how the frame is made (its provenance: OpenEXR header
            // strings or PNG text).
            let output = job.resolved.kind == .stylize && (planned?.producesOutput ?? true)
            a.outputExr = job.outputsEXR && output
            if output { a.provenance = job.provenance(jobID: task.jobID, frameIndex: task.frameIndex) }
            if job.resolved.sharedFilesystem {
                a.contentPath = contentPath
                if planned?.producesOutput ?? true, let output = job.resolved.outputPath(ofFrameAt: task.frameIndex) {
                    a.outputPath = output
                    // Fencing: the coordinator moves the output into place only for the current attempt.
                    a.stageOutput = true
                }
            }
        }
        a.styles = try job.resolved.styles.map { try blobRef(forFile: $0, mediaType: Self.imageMediaType($0)) }
        return a
    }

    /// The media type of an image file by its extension: OpenEXR (`image/x-exr`), JPEG or PNG.
    static func imageMediaType(_ path: String) -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".exr") { return "image/x-exr" }
        if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { return "image/jpeg" }
        return "image/png"
    }
}
