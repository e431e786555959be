import Engine
import Foundation
import JobModel
import Protocol

extension CoordinatorServer {
    // MARK: Client requests

    func replyToClient(_ call: ClientCall, _ payload: Stylefarm_V1_ClientReply.OneOf_Payload) {
        send(payload, to: call.ticket)
    }

    /// Sends a reply to the client `ticket` names: over the client socket or to a local caller. False (and counted
    /// as a drop) when the client is gone.
    @discardableResult
    func send(_ payload: Stylefarm_V1_ClientReply.OneOf_Payload, to ticket: ClientTicket) -> Bool {
        let reply = Stylefarm_V1_ClientReply(requestID: ticket.requestID, payload)
        let delivered: Bool
        switch ticket.peer {
        case .socket(let routingID, let delimited): delivered = clientsEndpoint.send(reply, to: routingID, delimited: delimited)
        case .local(let id): delivered = localClients.deliver(reply, to: id)
        }
        if !delivered { recordDrop("unreachable") }
        return delivered
    }

    /// A submission with what it needs from the loop's state now (the workers' memory, for tile budgets).
    /// `owner`'s jobs may also read their own uploads (`UploadStore`'s checkouts), whatever `--allow-read` says.
    func submission(owner: String) -> JobSubmission {
        let budgets = Dictionary(uniqueKeysWithValues: VGGNetwork.allCases.map { ($0, defaultTileBudget(network: $0)) })
        var submission = JobSubmission(store: store, styleTargets: styleTargets, clock: clock, tileBudgets: budgets,
                                       workingDirectory: FileManager.default.currentDirectoryPath)
        submission.maxTasks = configuration.maxTasksPerJob
        submission.pathPolicy = configuration.pathPolicy.allowingRead(
            UploadStore.checkoutsFolder(stateDirectory: configuration.stateDirectory, owner: owner).path)
        return submission
    }

    /// Answers the clients whose submissions finished (loop thread).
    func answerSubmissions() {
        for finished in submissions.finished() {
            claimsMayFind = true
            var reply = Stylefarm_V1_SubmitJobReply()
            switch finished.outcome {
            case .success(let accepted):
                log(accepted.summary)
                // Its tasks may have been dispatched already (the rows were committed before this answer):
                // a context made then from the store is the same.
                if jobContexts[accepted.jobID] == nil { install(accepted.context, jobID: accepted.jobID) }
                reply.jobID = accepted.jobID
                frameEvents.append((accepted.jobID, -1))   // farm-wide watches learn of the new job
            case .failure(let error as PathPolicyError):
                reply.error = Self.clientError(.permissionDenied, "\(error)")
            case .failure(let error):
                reply.error = Self.clientError(.invalidArgument, "\(error)")
            }
            send(.submitJob(reply), to: finished.ticket)
        }
    }

    static func clientError(_ code: Stylefarm_V1_ClientError.Code, _ message: String) -> Stylefarm_V1_ClientError {
        var e = Stylefarm_V1_ClientError()
        e.code = code
        e.message = message
        return e
    }

    func handleClient(_ call: ClientCall, as identity: ClientIdentity = .unauthenticated) {
        if !identity.mayChange && !ClientIdentity.onlyReads(call.message.payload) {
            return replyToClient(call, .error(Self.clientError(.permissionDenied,
                "\(identity.name)'s viewer \(call.ticket.peer.isLocal ? "token" : "key") may only read; submitting and changing jobs needs a submitter or admin one")))
        }
        switch call.message.payload {
        case .submitJob(let submit)?:
            // Answered by `answerSubmissions` when it has run on the submission thread.
            let ticket = call.ticket
            let submission = submission(owner: identity.name), spec = submit.spec, owner = identity.name, metrics = metrics
            submissions.start {
                let start = ContinuousClock.now
                defer { metrics.submissionSeconds.record(ContinuousClock.now - start) }
                return FinishedSubmission(ticket: ticket, outcome: Result { try submission.run(spec, owner: owner) })
            }
        case .jobStatus(let request)?:
            replyToClient(call, .jobStatus(readModel.jobStatus(request, as: identity)))
        case .listJobs(let request)?:
            replyToClient(call, readModel.listJobs(request, as: identity))
        case .cancelJob(let request)?:
            claimsMayFind = true   // a wrangler's change (also below) may make tasks claimable or give credit back
            var reply = Stylefarm_V1_CancelJobReply()
            do {
                if case .failure(let refusal) = try readModel.accessibleJob(request.jobID, by: identity) {
                    reply.error = refusal.error
                    return replyToClient(call, .cancelJob(reply))
                }
                reply.cancelled = try cancelJob(request.jobID)
                if !reply.cancelled {
                    reply.error = Self.clientError(.failedPrecondition, "job \(request.jobID) already finished")
                }
            } catch {
                reply.error = Self.clientError(.internal, "\(error)")
            }
            replyToClient(call, .cancelJob(reply))
        case .watchJob(let request)? where request.jobID.isEmpty:
            // The whole farm: one summary event per changed job the client may see, until it goes away.
            addWatcher(Watcher(ticket: call.ticket, jobID: "", identity: identity))
        case .watchJob(let request)?:
            do {
                if case .failure(let refusal) = try readModel.accessibleJob(request.jobID, by: identity) {
                    return replyToClient(call, .error(refusal.error))
                }
            } catch {
                return replyToClient(call, .error(Self.clientError(.internal, "\(error)")))
            }
            addWatcher(Watcher(ticket: call.ticket, jobID: request.jobID))
        case .deleteJob(let request)?:
            claimsMayFind = true
            handleDelete(request, call: call, as: identity)
        case .collectGarbage?:
            guard identity.role == .admin else {
                var reply = Stylefarm_V1_CollectGarbageReply()
                reply.error = Self.clientError(.permissionDenied, "only an admin key may collect garbage")
                return replyToClient(call, .collectGarbage(reply))
            }
            startGarbageCollection(ticket: call.ticket)
        case .taskLogs(let request)?:
            replyToClient(call, .taskLogs(taskLogs(request, as: identity)))
        case .jobControl(let request)?:
            claimsMayFind = true
            replyToClient(call, .jobControl(handleJobControl(request, as: identity)))
        case .listWorkers?:
            replyToClient(call, .listWorkers(listWorkers()))
        case .reinstateWorker(let request)?:
            claimsMayFind = true
            replyToClient(call, .reinstateWorker(reinstateWorker(request, as: identity)))
        case .disconnect?:
            removeWatchers(of: call.ticket.peer)
        case .uploadQuery?, .uploadChunk?, .checkout?:
            handleUpload(call, as: identity)
        case nil:
            recordDrop("malformed")
        }
    }
}

extension CoordinatorServer {
    // MARK: Cancel and watch

    /// Cancels a job and tells the workers holding its tasks to drop them. Returns whether the job
    /// is cancelled now (false when it had already finished).
    func cancelJob(_ jobID: String) throws -> Bool {
        let held = try heldTasks(ofJob: jobID)
        _ = try store.cancelJob(jobID, now: now())
        for task in held {
            if let workerID = task.assignedWorker { withdraw(task.id, jobID: jobID, from: workerID, reason: "job cancelled") }
        }
        frameEvents.append((jobID, -1))
        releaseFinishedIntermediates()
        return try store.job(jobID)?.state == .cancelled
    }

    /// Adds a watch; a client that watches the same job again (e.g. after a coordinator restart)
    /// replaces its earlier watch. A job's watch starts with a summary event; a farm-wide one with the next change.
    func addWatcher(_ watcher: Watcher) {
        watchers.removeAll { $0.ticket.peer == watcher.ticket.peer && $0.jobID == watcher.jobID }
        watchers.append(watcher)
        if !watcher.jobID.isEmpty { frameEvents.append((watcher.jobID, -1)) }
    }

    func removeWatchers(of peer: ClientTicket.Peer) {
        watchers.removeAll { $0.ticket.peer == peer }
    }

    /// Sends each watcher one event per changed frame of its job (or a summary event for a new watch
    /// or a cancellation); the event for a finished job is terminal and ends the watch.
    /// More frames than this changed in one iteration: watchers get one summary event instead.
    static let maxFrameEventsPerPush = 8

    /// Progress is sent at most every `progressEventInterval` seconds per job, as a summary event.
    static let progressEventInterval = 0.5

    /// Remembers a running task's latest progress (for watchers' `running` list).
    func noteProgress(_ progress: Stylefarm_V1_Progress) {
        taskProgress[progress.taskID] = progress
        if !watchers.isEmpty, let task = try? store.task(progress.taskID) { progressedJobs.insert(task.jobID) }
    }

    /// The running tasks of a job with their latest progress, and how many workers hold them.
    func runningTasks(ofJob jobID: String) -> (running: [Stylefarm_V1_TaskProgress], workers: Int) {
        // The farm's in-flight tasks (a few per worker), not the job's rows.
        guard let inFlight = try? store.inFlightTasks() else { return ([], 0) }
        let running = inFlight.filter { $0.jobID == jobID }.sorted { ($0.frameIndex, $0.id) < ($1.frameIndex, $1.id) }
            .map { progress(ofTask: $0.id, frameIndex: $0.frameIndex, workerID: $0.assignedWorker ?? "", attempt: $0.currentAttempt) }
        return (running, Set(running.map(\.workerID).filter { !$0.isEmpty }).count)
    }

    /// A held task as watchers and the worker list show it: its frame, its worker and the latest progress its current
    /// attempt reported (none from an earlier attempt).
    func progress(ofTask taskID: String, frameIndex: Int, workerID: String, attempt: Int) -> Stylefarm_V1_TaskProgress {
        var p = Stylefarm_V1_TaskProgress()
        p.taskID = taskID
        p.frameIndex = UInt32(clamping: frameIndex)
        p.workerID = workerID
        if let latest = taskProgress[taskID], latest.attempt == UInt32(clamping: attempt) {
            p.iteration = latest.iteration
            p.budget = latest.budget
            if latest.hasLosses { p.losses = latest.losses }
        }
        return p
    }

    func pushWatchEvents() {
        var events = frameEvents
        frameEvents = []
        if !progressedJobs.isEmpty, now().timeIntervalSince(lastProgressEvent) >= Self.progressEventInterval {
            for jobID in progressedJobs where !events.contains(where: { $0.jobID == jobID }) { events.append((jobID, -1)) }
            progressedJobs = []
            lastProgressEvent = now()
        }
        guard !watchers.isEmpty, !events.isEmpty else { return }
        var finished: Set<Int> = []
        // Per job: one summary; per-frame events while few frames changed, else one summary event.
        var order: [String] = []
        var changed: [String: [Int]] = [:]
        for (jobID, frameIndex) in events {
            if changed[jobID] == nil { order.append(jobID); changed[jobID] = [] }
            if frameIndex >= 0 { changed[jobID]!.append(frameIndex) }
        }
        let farmWide = watchers.contains { $0.jobID.isEmpty }
        for jobID in order where farmWide || watchers.contains(where: { $0.jobID == jobID }) {
            guard let summary = try? readModel.summary(jobID) else { continue }
            let terminal = summary.state == .completed || summary.state == .failed || summary.state == .cancelled
            let (running, busy) = terminal ? ([], 0) : runningTasks(ofJob: jobID)
            let indices = changed[jobID] ?? []
            var frames: [Stylefarm_V1_FrameStatus?] = [nil]
            if !indices.isEmpty && indices.count <= Self.maxFrameEventsPerPush {
                let byIndex = Dictionary(((try? readModel.frames(jobID, only: Array(Set(indices)))) ?? []).map { (Int($0.frameIndex), $0) },
                                         uniquingKeysWith: { a, _ in a })
                frames = indices.map { byIndex[$0] }
            }
            /// Watcher `i`'s next event of this job.
            func event(for i: Int, frame: Stylefarm_V1_FrameStatus?, terminal: Bool) -> Stylefarm_V1_JobEvent {
                watchers[i].sequence += 1
                var event = Stylefarm_V1_JobEvent()
                event.jobID = jobID
                event.sequence = watchers[i].sequence
                event.unixMs = Int64(now().timeIntervalSince1970 * 1000)
                event.jobState = summary.state
                if let frame { event.frame = frame }
                event.framesDone = summary.framesDone
                event.framesTotal = summary.framesTotal
                event.framesFailed = summary.framesFailed
                event.terminal = terminal
                event.workersBusy = UInt32(clamping: busy)
                event.running = running
                return event
            }
            for (n, frame) in frames.enumerated() {
                let last = n == frames.count - 1
                for i in watchers.indices where watchers[i].jobID == jobID && !finished.contains(i) {
                    let event = event(for: i, frame: frame, terminal: terminal && last)
                    if !send(.jobEvent(event), to: watchers[i].ticket) { finished.insert(i) }
                    if event.terminal { finished.insert(i) }
                }
            }
            // Farm-wide watches: the job's summary, never terminal (the watch outlives every job).
            for i in watchers.indices where watchers[i].jobID.isEmpty && !finished.contains(i)
                && watchers[i].identity.maySee(jobOwnedBy: summary.owner) {
                if !send(.jobEvent(event(for: i, frame: nil, terminal: false)), to: watchers[i].ticket) { finished.insert(i) }
            }
        }
        watchers = watchers.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
    }
}
