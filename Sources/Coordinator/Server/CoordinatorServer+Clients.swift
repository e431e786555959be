import Engine
import Foundation
import Protocol

extension CoordinatorServer {
    // MARK: Client requests

    func replyToClient(_ routed: Routed<Stylefarm_V1_ClientRequest>, _ payload: Stylefarm_V1_ClientReply.OneOf_Payload) {
        let reply = Stylefarm_V1_ClientReply(requestID: routed.message.requestID, payload)
        if !clientsEndpoint.send(reply, to: routed.routingID, delimited: routed.delimited) {
            recordDrop("unreachable")
        }
    }

    static func clientError(_ code: Stylefarm_V1_ClientError.Code, _ message: String) -> Stylefarm_V1_ClientError {
        var e = Stylefarm_V1_ClientError()
        e.code = code
        e.message = message
        return e
    }

    func handleClient(_ routed: Routed<Stylefarm_V1_ClientRequest>) {
        switch routed.message.payload {
        case .submitJob(let submit)?:
            var reply = Stylefarm_V1_SubmitJobReply()
            do {
                reply.jobID = try submitJob(submit.spec)
            } catch {
                reply.error = Self.clientError(.invalidArgument, "\(error)")
            }
            replyToClient(routed, .submitJob(reply))
        case .jobStatus(let request)?:
            var reply = Stylefarm_V1_JobStatusReply()
            do {
                guard try store.job(request.jobID) != nil else {
                    reply.error = Self.clientError(.notFound, "no job \(request.jobID.debugDescription)")
                    return replyToClient(routed, .jobStatus(reply))
                }
                reply.job = try wireSummary(request.jobID)
                if request.includeFrames { reply.frames = try wireFrames(request.jobID) }
            } catch {
                reply.error = Self.clientError(.internal, "\(error)")
            }
            replyToClient(routed, .jobStatus(reply))
        case .listJobs(let request)?:
            var reply = Stylefarm_V1_ListJobsReply()
            do {
                let wanted = Set(request.states)
                for job in try store.listJobs() {
                    let summary = try wireSummary(job.id)
                    if !wanted.isEmpty && !wanted.contains(summary.state) { continue }
                    reply.jobs.append(summary)
                    if request.limit > 0 && reply.jobs.count >= Int(request.limit) { break }
                }
                replyToClient(routed, .listJobs(reply))
            } catch {
                replyToClient(routed, .error(Self.clientError(.internal, "\(error)")))
            }
        case .cancelJob(let request)?:
            var reply = Stylefarm_V1_CancelJobReply()
            do {
                guard try store.job(request.jobID) != nil else {
                    reply.error = Self.clientError(.notFound, "no job \(request.jobID.debugDescription)")
                    return replyToClient(routed, .cancelJob(reply))
                }
                reply.cancelled = try cancelJob(request.jobID)
                if !reply.cancelled {
                    reply.error = Self.clientError(.failedPrecondition, "job \(request.jobID) already finished")
                }
            } catch {
                reply.error = Self.clientError(.internal, "\(error)")
            }
            replyToClient(routed, .cancelJob(reply))
        case .watchJob(let request)?:
            guard (try? store.job(request.jobID)) ?? nil != nil else {
                return replyToClient(routed, .error(Self.clientError(.notFound, "no job \(request.jobID.debugDescription)")))
            }
            addWatcher(Watcher(routingID: routed.routingID, delimited: routed.delimited,
                               requestID: routed.message.requestID, jobID: request.jobID))
        case .disconnect?:
            removeWatchers(of: routed.routingID)
        case nil:
            recordDrop("malformed")
        }
    }

    /// Resolves, plans and stores a job; returns its id.
    func submitJob(_ wire: Stylefarm_V1_JobSpec) throws -> String {
        let cwd = FileManager.default.currentDirectoryPath
        var spec = try JobSpec(wire: wire).withPathsResolved(against: cwd)
        var resolved = try spec.resolve(baseDirectory: cwd)
        if resolved.kind == .stylize && resolved.tiling == .automatic {
            // Stored with the job, so a restarted coordinator re-plans the same tiles.
            let pixels = defaultTileBudget(network: resolved.parameters.network)
            spec.maxTilePixels = pixels
            resolved.tiling = .budget(.maxTilePixels(pixels))
        }
        var frameSize = PixelSize(width: 1, height: 1)
        var key: StyleTargetKey? = nil
        var targetBlobs: [String] = []
        var regionBlobs: [[String]] = []
        if resolved.kind == .stylize {
            guard let first = resolved.frames.frames.first, let content = resolved.content else {
                throw JobPlanError.noFrames(job: resolved.name)
            }
            try Self.checkContent(content, frames: resolved.frames.frames)
            let image = try ImageReader.read(path: content.path(for: first))
            frameSize = try resolved.outputFrameSize(contentWidth: image.width, contentHeight: image.height)
            key = try StyleTargetKey.load(stylePaths: resolved.styles, parameters: resolved.parameters)
            if let regions = resolved.regions {
                try Self.checkMasks(regions, frames: resolved.frames.frames)
                regionBlobs = try styleTargets.regionTargets(stylePaths: resolved.styles,
                                                             layout: regions.layout(hasDefaultStyle: !resolved.styles.isEmpty),
                                                             parameters: resolved.parameters)
                if !resolved.styles.isEmpty { targetBlobs = regionBlobs[0] }
            }
        }
        let jobID = "job-" + UUID().uuidString.prefix(8).lowercased()
        let cuts = try Self.shotCuts(of: resolved)
        let parts = try styleGramParts(for: resolved, key: key)
        let plan = try JobPlanner().plan(resolved, jobID: jobID, frameSize: frameSize, styleTargetKey: key, cuts: cuts,
                                         styleGrams: parts)
        if resolved.kind == .stylize && resolved.regions == nil && plan.styleGramParts.isEmpty {
            targetBlobs = try styleTargets.targets(stylePaths: resolved.styles, parameters: resolved.parameters, key: key!)
        }
        var stored = spec
        stored.outputDir = resolved.outputDirectory
        let specData = try JSONEncoder().encode(StoredJob(spec: stored, frameWidth: frameSize.width, frameHeight: frameSize.height,
                                                          styleTargetBlobs: targetBlobs,
                                                          regionStyleTargetBlobs: resolved.regions == nil ? nil : regionBlobs,
                                                          cuts: cuts,
                                                          styleGramParts: plan.styleGramParts.isEmpty ? nil : plan.styleGramParts))
        let record = JobRecord(id: jobID, name: resolved.name, spec: specData, priority: resolved.priority,
                               styleTargetsHash: key?.hex ?? "")
        let frames = plan.frames.map { FrameRecord(jobID: jobID, index: $0.index, outputPath: $0.outputPath ?? "") }
        let tasks = plan.tasks.map {
            TaskRecord(id: $0.id, jobID: jobID, frameIndex: $0.frameIndex, region: $0.region, maxAttempts: resolved.maxAttempts,
                       dependencies: $0.dependencies, producesOutput: $0.producesOutput)
        }
        try store.insertJob(record, frames: frames, tasks: tasks, now: now())
        let temporal = resolved.temporal.strategy == .independent ? "" :
            ", temporal \(resolved.temporal.strategy.rawValue), \(plan.tasks.count) tasks, \(plan.shotStarts.count) shot(s)"
        let tiles = plan.tilePlans.last.map { ", \($0.description) (\(plan.tasks.count) tasks)" } ?? ""
        let workerTargets = plan.styleGramParts.isEmpty ? "" : ", style targets in \(plan.styleGramParts.count) worker tasks"
        log("job \(jobID) (\(resolved.name)): \(frames.count) frame(s), \(resolved.kind.rawValue)\(temporal)\(tiles)\(workerTargets)")
        return jobID
    }

    /// The frame numbers that start a shot in a temporal job: the job's own `cuts`, plus the cuts
    /// `ShotCutDetector` finds in the content's colour histograms (unless `detect_cuts: false`). The
    /// frames are read once here, scaled to at most 256 px (histograms need no detail).
    static func shotCuts(of job: ResolvedJob) throws -> [Int] {
        guard job.kind == .stylize, job.temporal.usesFlow else { return [] }
        var cuts = Set(job.temporal.cuts)
        if job.temporal.detectCuts, let content = job.content, job.frames.count > 2 {
            let numbers = job.frames.frames
            let histograms = try numbers.map { frame -> [Float] in
                let image = try ImageReader.read(path: content.path(for: frame))
                let (w, h) = try Image.size(scaling: image.width, image.height, toLongerSide: min(256, max(image.width, image.height)))
                return ShotCutDetector.histogram(try image.toRGB().resized(width: w, height: h))
            }
            for index in ShotCutDetector().cuts(histograms: histograms) { cuts.insert(numbers[index]) }
        }
        return cuts.sorted()
    }

    /// Refuses a stylize job whose content file of some frame is missing, naming the first one (one `stat`
    /// per frame), instead of failing those frames one by one on the farm.
    static func checkContent(_ content: PathPattern, frames: [Int]) throws {
        let missing = frames.filter { !FileManager.default.fileExists(atPath: content.path(for: $0)) }
        guard let first = missing.first else { return }
        throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.content.rawValue,
            message: "\(missing.count) of \(frames.count) frame(s) have no content file, the first is frame \(first): \(content.path(for: first)) does not exist")])
    }

    /// Refuses a `matte:` / `ids:` job whose mask file of some frame is missing (network sources need
    /// nothing here: the workers segment, with their own installed models).
    static func checkMasks(_ regions: ResolvedRegions, frames: [Int]) throws {
        var missing: [Int] = []
        for frame in frames {
            guard let path = regions.maskPath(for: frame) else { return }
            if !FileManager.default.fileExists(atPath: path) { missing.append(frame) }
        }
        guard let first = missing.first, let path = regions.maskPath(for: first) else { return }
        throw JobSpecError(problems: [.init(field: JobSpec.CodingKeys.segment.rawValue,
            message: "\(missing.count) frame(s) have no mask file, the first is frame \(first): \(path) does not exist")])
    }

    static func wireState(_ state: JobState) -> Stylefarm_V1_JobState {
        switch state {
        case .queued: return .queued
        case .running: return .running
        case .completed: return .completed
        case .failed: return .failed
        case .cancelled: return .cancelled
        }
    }

    static func wireFrameState(_ state: FrameState, taskState: TaskState?) -> Stylefarm_V1_FrameState {
        switch state {
        case .done: return .done
        case .failed: return .failed
        case .cancelled: return .cancelled
        case .pending: return taskState?.isInFlight == true ? .running : .pending
        }
    }

    func wireSummary(_ jobID: String) throws -> Stylefarm_V1_JobSummary {
        let summary = try store.summary(ofJob: jobID)
        var s = Stylefarm_V1_JobSummary()
        s.jobID = summary.jobID
        s.name = summary.name
        s.state = Self.wireState(summary.state)
        s.priority = UInt32(clamping: summary.priority)
        s.framesTotal = UInt32(clamping: summary.framesTotal)
        s.framesDone = UInt32(clamping: summary.framesDone)
        s.framesFailed = UInt32(clamping: summary.framesFailed)
        if let job = try store.job(jobID) { s.submittedUnixMs = Int64(job.createdAt.timeIntervalSince1970 * 1000) }
        return s
    }

    func wireFrames(_ jobID: String, only index: Int? = nil) throws -> [Stylefarm_V1_FrameStatus] {
        let tasks = Dictionary(grouping: try store.tasks(ofJob: jobID), by: \.frameIndex)
        return try store.frames(ofJob: jobID).filter { index == nil || $0.index == index }.map { frame in
            // The task a worker holds now, else the frame's output task (flows and sweeps are steps to it).
            let frameTasks = tasks[frame.index] ?? []
            let task = frameTasks.first(where: { $0.state.isInFlight }) ?? frameTasks.first(where: \.producesOutput) ?? frameTasks.first
            var f = Stylefarm_V1_FrameStatus()
            f.frameIndex = UInt32(clamping: frame.index)
            f.state = Self.wireFrameState(frame.state, taskState: task?.state)
            f.attempts = UInt32(clamping: task?.attemptsUsed ?? 0)
            // The worker holding the task, else the one that made its last attempt (finished frames).
            if let worker = task?.assignedWorker {
                f.workerID = worker
            } else if let task, let last = try store.attempts(ofTask: task.id).max(by: { $0.number < $1.number }) {
                f.workerID = last.workerID
            }
            f.error = task?.lastError ?? ""
            return f
        }
    }
}

extension CoordinatorServer {
    // MARK: Cancel and watch

    /// Cancels a job and tells the workers holding its tasks to drop them. Returns whether the job
    /// is cancelled now (false when it had already finished).
    func cancelJob(_ jobID: String) throws -> Bool {
        let holders = try store.tasks(ofJob: jobID).filter { $0.state.isInFlight }
            .compactMap { task in task.assignedWorker.map { (task.id, $0) } }
        _ = try store.cancelJob(jobID, now: now())
        for (taskID, workerID) in holders {
            liveness.release(taskID, from: workerID)
            fetches = fetches.filter { $0.value.taskID != taskID }
            var cancel = Stylefarm_V1_Cancel()
            cancel.taskID = taskID
            cancel.jobID = jobID
            cancel.reason = "job cancelled"
            send(toWorker: workerID, .cancel(cancel))
        }
        frameEvents.append((jobID, -1))
        releaseFinishedIntermediates()
        return try store.job(jobID)?.state == .cancelled
    }

    /// Adds a watch; a client that watches the same job again (e.g. after a coordinator restart)
    /// replaces its earlier watch.
    func addWatcher(_ watcher: Watcher) {
        watchers.removeAll { $0.routingID == watcher.routingID && $0.jobID == watcher.jobID }
        watchers.append(watcher)
        frameEvents.append((watcher.jobID, -1))
    }

    func removeWatchers(of routingID: Data) {
        watchers.removeAll { $0.routingID == routingID }
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
        guard let tasks = try? store.tasks(ofJob: jobID) else { return ([], 0) }
        let running = tasks.filter { $0.state.isInFlight }.map { task -> Stylefarm_V1_TaskProgress in
            var p = Stylefarm_V1_TaskProgress()
            p.frameIndex = UInt32(clamping: task.frameIndex)
            p.workerID = task.assignedWorker ?? ""
            if let latest = taskProgress[task.id], latest.attempt == UInt32(clamping: task.currentAttempt) {
                p.iteration = latest.iteration
                p.budget = latest.budget
            }
            return p
        }
        return (running, Set(running.map(\.workerID).filter { !$0.isEmpty }).count)
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
        for jobID in order where watchers.contains(where: { $0.jobID == jobID }) {
            guard let summary = try? wireSummary(jobID) else { continue }
            let terminal = summary.state == .completed || summary.state == .failed || summary.state == .cancelled
            let (running, busy) = terminal ? ([], 0) : runningTasks(ofJob: jobID)
            let indices = changed[jobID] ?? []
            var frames: [Stylefarm_V1_FrameStatus?] = [nil]
            if !indices.isEmpty && indices.count <= Self.maxFrameEventsPerPush {
                let byIndex = Dictionary(((try? wireFrames(jobID)) ?? []).map { (Int($0.frameIndex), $0) }, uniquingKeysWith: { a, _ in a })
                frames = indices.map { byIndex[$0] }
            }
            for (n, frame) in frames.enumerated() {
                let last = n == frames.count - 1
                for i in watchers.indices where watchers[i].jobID == jobID && !finished.contains(i) {
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
                    event.terminal = terminal && last
                    event.workersBusy = UInt32(clamping: busy)
                    event.running = running
                    let reply = Stylefarm_V1_ClientReply(requestID: watchers[i].requestID, .jobEvent(event))
                    if !clientsEndpoint.send(reply, to: watchers[i].routingID, delimited: watchers[i].delimited) {
                        recordDrop("unreachable")
                        finished.insert(i)
                    }
                    if event.terminal { finished.insert(i) }
                }
            }
        }
        watchers = watchers.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
    }
}
