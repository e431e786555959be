import Foundation
import JobModel
import Protocol

/// The read side of the client API: jobs, their frames and summaries as the client protocol answers them, read
/// from the store alone, so any thread may answer them — the loop for a ZeroMQ client's `status`, the HTTP
/// server's own threads for a browser's job page — with one piece of code and one set of checks.
///
/// Answers to `JobStatus` are kept with the job's version in the store (`SQLiteJobStore.version(ofJob:)`, moved
/// by every committed write that touched the job) and answers to `ListJobs` with the store's write count, and
/// given again while those have not moved: two hundred dashboards polling one job cost one read per change of
/// that job, never a stale answer.
public final class JobReadModel: @unchecked Sendable {
    let store: SQLiteJobStore
    private let lock = NSLock()
    /// Each job's frame numbers (its range, in frame-index order) and style images: fixed for a job's life.
    private var known: [String: Facts] = [:]

    struct Facts: Sendable {
        var numbers: [Int]
        /// Nil until read from the spec (a job the loop noted has its numbers only), as is `plate`.
        var styles: [Stylefarm_V1_StyleImage]?
        /// How the job reads its plates and its OpenEXR outputs back (a preview of an output goes through it).
        var plate: PlateSettings?
    }
    private var statusCache: [StatusKey: (version: JobVersion, reply: Stylefarm_V1_JobStatusReply)] = [:]
    private var listCache: [ListKey: (version: UInt64, reply: Stylefarm_V1_ListJobsReply)] = [:]
    /// Answers kept at most (the oldest half goes first).
    static let cacheLimit = 512

    /// The most frames a status request may name (`frame_numbers`).
    public static let maxFramesPerStatus = 1000

    /// The most frames a status request may ask tasks and attempts of (`include_tasks`).
    public static let maxFramesWithTasks = 16

    struct StatusKey: Hashable { var jobID: String; var frames: Bool; var numbers: [Int64]; var tasks: Bool }
    struct ListKey: Hashable { var states: [Int]; var limit: UInt32; var role: FarmRole; var name: String }

    init(store: SQLiteJobStore) { self.store = store }

    // MARK: Requests

    /// `JobStatus`: the job's summary and, when asked, its frames (all, or the numbered ones).
    public func jobStatus(_ request: Stylefarm_V1_JobStatusRequest, as identity: ClientIdentity) -> Stylefarm_V1_JobStatusReply {
        let key = StatusKey(jobID: request.jobID, frames: request.includeFrames, numbers: Array(request.frameNumbers.prefix(Self.maxFramesPerStatus)),
                            tasks: request.includeTasks)
        if request.includeTasks && !(request.includeFrames && (1...Self.maxFramesWithTasks).contains(request.frameNumbers.count)) {
            return .with {
                $0.error = CoordinatorServer.clientError(.invalidArgument,
                    "include_tasks needs include_frames and 1 to \(Self.maxFramesWithTasks) frame_numbers (got \(request.frameNumbers.count))")
            }
        }
        let version = store.version(ofJob: request.jobID)
        if let cached = lock.withLock({ statusCache[key] }), cached.version == version {
            // The owner is in the answer: the same check as for a fresh one.
            if let refusal = Self.refusal(jobID: request.jobID, owner: cached.reply.job.owner, identity: identity) {
                return .with { $0.error = refusal.error }
            }
            return cached.reply
        }
        var reply = Stylefarm_V1_JobStatusReply()
        do {
            if case .failure(let refusal) = try accessibleJob(request.jobID, by: identity) {
                reply.error = refusal.error
                return reply
            }
            reply.job = try summary(request.jobID)
            if request.includeFrames && !key.numbers.isEmpty {
                let numbers = try frameNumbers(request.jobID)
                var indices: [Int] = []
                for number in key.numbers {
                    guard let index = numbers.firstIndex(of: Int(number)) else {
                        reply.error = CoordinatorServer.clientError(.notFound, "job \(request.jobID) has no frame \(number)")
                        return reply
                    }
                    indices.append(index)
                }
                reply.frames = try frames(request.jobID, only: indices)
                if request.includeTasks {
                    for (n, index) in indices.enumerated() { reply.frames[n].tasks = try tasks(request.jobID, frameIndex: index) }
                }
            } else if request.includeFrames {
                reply.frames = try frames(request.jobID)
                // A spec this coordinator cannot read again (a job stored by a newer one) shows no styles, not an error.
                reply.styles = (try? facts(request.jobID, styles: true))?.styles ?? []
            }
        } catch {
            reply.error = CoordinatorServer.clientError(.internal, "\(error)")
            return reply
        }
        remember(&statusCache, key, (version, reply))
        return reply
    }

    /// `ListJobs`: the jobs `identity` may see, in queue order, filtered by state.
    public func listJobs(_ request: Stylefarm_V1_ListJobs, as identity: ClientIdentity) -> Stylefarm_V1_ClientReply.OneOf_Payload {
        let key = ListKey(states: request.states.map(\.rawValue).sorted(), limit: request.limit, role: identity.role,
                          name: identity.role == .submitter ? identity.name : "")
        let version = store.writeVersion
        if let cached = lock.withLock({ listCache[key] }), cached.version == version { return .listJobs(cached.reply) }
        var reply = Stylefarm_V1_ListJobsReply()
        do {
            let wanted = Set(request.states)
            for job in try store.listJobs() where identity.maySee(jobOwnedBy: job.owner) {
                let summary = try summary(job.id, record: job)
                if !wanted.isEmpty && !wanted.contains(summary.state) { continue }
                reply.jobs.append(summary)
                if request.limit > 0 && reply.jobs.count >= Int(request.limit) { break }
            }
        } catch {
            return .error(CoordinatorServer.clientError(.internal, "\(error)"))
        }
        remember(&listCache, key, (version, reply))
        return .listJobs(reply)
    }

    private func remember<Key: Hashable, Version, Value>(_ cache: inout [Key: (version: Version, reply: Value)], _ key: Key,
                                                         _ entry: (version: Version, reply: Value)) {
        lock.withLock {
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = entry
        }
    }

    // MARK: Access

    /// A job `identity` may see (docs/SECURITY.md: a submitter its own, an admin and a viewer every one): the
    /// record, or the error to answer (not found; permission denied for another submitter's job).
    public func accessibleJob(_ jobID: String, by identity: ClientIdentity) throws -> Result<JobRecord, ClientRefusal> {
        guard let job = try store.job(jobID) else {
            return .failure(ClientRefusal(error: CoordinatorServer.clientError(.notFound, "no job \(jobID.debugDescription)")))
        }
        if let refusal = Self.refusal(jobID: jobID, owner: job.owner, identity: identity) { return .failure(refusal) }
        return .success(job)
    }

    /// The job's version in the store: answers read at the same one are still true.
    public func version(ofJob jobID: String) -> JobVersion { store.version(ofJob: jobID) }

    /// Why `identity` may not see a job owned by `owner` (nil: it may) — the one check every read of a job makes.
    public static func refusal(jobID: String, owner: String, identity: ClientIdentity) -> ClientRefusal? {
        guard !identity.maySee(jobOwnedBy: owner) else { return nil }
        return ClientRefusal(error: CoordinatorServer.clientError(.permissionDenied,
            "job \(jobID) belongs to \(owner.isEmpty ? "nobody (submitted without a key)" : owner); \(identity.name)'s submitter key may only see and change its own jobs"))
    }

    // MARK: Wire forms

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

    /// A job's summary as the client protocol sends it (`record`: its row, when the caller has it).
    func summary(_ jobID: String, record: JobRecord? = nil) throws -> Stylefarm_V1_JobSummary {
        let summary = try store.summary(ofJob: jobID)
        var s = Stylefarm_V1_JobSummary()
        s.jobID = summary.jobID
        s.name = summary.name
        s.state = Self.wireState(summary.state)
        s.priority = UInt32(clamping: summary.priority)
        s.framesTotal = UInt32(clamping: summary.framesTotal)
        s.framesDone = UInt32(clamping: summary.framesDone)
        s.framesFailed = UInt32(clamping: summary.framesFailed)
        if let job = try record ?? store.job(jobID) {
            s.submittedUnixMs = Int64(job.createdAt.timeIntervalSince1970 * 1000)
            s.owner = job.owner
            s.blockedWorkers = try store.blockedWorkers(ofJob: jobID)
            if let reason = job.pausedReason, !job.state.isTerminal {
                s.state = .paused
                s.pausedReason = reason
            }
        }
        return s
    }

    /// Every frame's status (`indices` nil), or only these frames' (watch events: the few that changed, read
    /// from their own rows, not the job's).
    func frames(_ jobID: String, only indices: [Int]? = nil) throws -> [Stylefarm_V1_FrameStatus] {
        let taskRows = try indices.map { try store.tasks(ofJob: jobID, frames: $0) } ?? store.tasks(ofJob: jobID)
        let tasks = Dictionary(grouping: taskRows, by: \.frameIndex)
        let frameRows = try indices.map { try store.frames(ofJob: jobID, indices: $0) } ?? store.frames(ofJob: jobID)
        let numbers = (try? frameNumbers(jobID)) ?? []
        // The whole job: every task's last worker in one query, not one per frame.
        let lastWorkers = indices == nil ? try store.lastAttemptWorkers(ofJob: jobID) : nil
        let renders = try store.frameRenderStats(ofJob: jobID, indices: indices)
        return try frameRows.map { frame in
            // The task a worker holds now, else the frame's output task (flows and sweeps are steps to it).
            let frameTasks = tasks[frame.index] ?? []
            let task = frameTasks.first(where: { $0.state.isInFlight }) ?? frameTasks.first(where: \.producesOutput) ?? frameTasks.first
            var f = Stylefarm_V1_FrameStatus()
            f.frameIndex = UInt32(clamping: frame.index)
            if frame.index < numbers.count { f.frameNumber = Int64(numbers[frame.index]) }
            f.state = Self.wireFrameState(frame.state, taskState: task?.state)
            f.attempts = UInt32(clamping: task?.attemptsUsed ?? 0)
            // The worker holding the task, else the one that made its last attempt (finished frames).
            if let worker = task?.assignedWorker {
                f.workerID = worker
            } else if let task, let lastWorkers {
                f.workerID = lastWorkers[task.id] ?? ""
            } else if let task, let last = try store.attempts(ofTask: task.id).max(by: { $0.number < $1.number }) {
                f.workerID = last.workerID
            }
            f.error = task?.lastError ?? ""
            if frame.state == .done { f.outputPath = frame.outputPath }
            if let render = renders[frame.index] {
                f.startedUnixMs = Self.unixMs(render.startedAt)
                f.endedUnixMs = Self.unixMs(render.endedAt)
                f.renderSeconds = render.renderSeconds
                f.evaluations = UInt32(clamping: render.evaluations)
                if let losses = render.losses { f.finalLosses = Self.wireLosses(losses) }
            }
            if let warp = frame.warpError {
                f.warpError = warp
                f.warpCertain = frame.warpCertain ?? 0
            }
            return f
        }
    }

    /// A frame's tasks with their attempts (`include_tasks`).
    func tasks(_ jobID: String, frameIndex: Int) throws -> [Stylefarm_V1_TaskStatus] {
        try store.tasksWithAttempts(ofJob: jobID, frameIndex: frameIndex).map { task, attempts in
            var t = Stylefarm_V1_TaskStatus()
            t.taskID = task.id
            t.state = task.state.rawValue
            t.producesOutput = task.producesOutput
            t.rect = .with {
                $0.x = UInt32(clamping: task.region.x); $0.y = UInt32(clamping: task.region.y)
                $0.width = UInt32(clamping: task.region.width); $0.height = UInt32(clamping: task.region.height)
            }
            t.attemptsUsed = UInt32(clamping: task.attemptsUsed)
            t.maxAttempts = UInt32(clamping: task.maxAttempts)
            t.workerID = task.assignedWorker ?? ""
            t.error = task.lastError ?? ""
            t.attempts = attempts.map { a in
                var w = Stylefarm_V1_AttemptStatus()
                w.number = UInt32(clamping: a.number)
                w.workerID = a.workerID
                w.outcome = a.outcome.rawValue
                w.startedUnixMs = Self.unixMs(a.startedAt)
                w.endedUnixMs = Self.unixMs(a.endedAt)
                w.error = a.errorMessage ?? ""
                if let stats = a.stats {
                    w.statsReported = true
                    w.wallSeconds = stats.wallSeconds
                    w.evaluations = UInt32(clamping: stats.evaluations)
                    w.peakRssBytes = stats.peakRSSBytes
                    w.finalLosses = Self.wireLosses(stats)
                }
                return w
            }
            return t
        }
    }

    static func unixMs(_ date: Date?) -> Int64 { date.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }

    static func wireLosses(_ stats: AttemptStats) -> Stylefarm_V1_Losses {
        .with { $0.total = stats.lossTotal; $0.content = stats.lossContent; $0.style = stats.lossStyle; $0.tv = stats.lossTV }
    }

    // MARK: Frame numbers and styles

    /// The job's frame numbers in frame-index order.
    func frameNumbers(_ jobID: String) throws -> [Int] { try facts(jobID, styles: false).numbers }

    /// The style images of a job `identity` may see: its styles, then each region's (docs/HTTP.md).
    public func styles(ofJob jobID: String, as identity: ClientIdentity) throws -> Result<[Stylefarm_V1_StyleImage], ClientRefusal> {
        if case .failure(let refusal) = try accessibleJob(jobID, by: identity) { return .failure(refusal) }
        return .success(try facts(jobID, styles: true).styles ?? [])
    }

    /// How job `jobID` reads its plates and outputs (colour space, layer), for previews of its frames.
    public func plate(ofJob jobID: String, as identity: ClientIdentity) throws -> Result<PlateSettings, ClientRefusal> {
        if case .failure(let refusal) = try accessibleJob(jobID, by: identity) { return .failure(refusal) }
        return .success(try facts(jobID, styles: true).plate ?? PlateSettings())
    }

    /// What a job's stored spec says that never changes, resolved once, then kept: its frame numbers (the loop's
    /// noted ones are taken as they are) and, when `styles`, its style images and plate settings.
    func facts(_ jobID: String, styles: Bool) throws -> Facts {
        if let known = lock.withLock({ known[jobID] }), !styles || known.styles != nil { return known }
        guard let record = try store.job(jobID) else { throw PersistenceError.jobNotFound(jobID) }
        let resolved = try JSONDecoder().decode(StoredJob.self, from: record.spec).resolved()
        var images = resolved.styles.map { path in Stylefarm_V1_StyleImage.with { $0.path = path } }
        for assignment in resolved.regions?.assignments ?? [] {
            if case .image(let path) = assignment.style {
                images.append(.with { $0.path = path; $0.region = assignment.name })
            }
        }
        let facts = Facts(numbers: resolved.frames.frames, styles: images, plate: resolved.plate)
        lock.withLock {
            if known.count >= Self.cacheLimit * 8 { known.removeAll(keepingCapacity: true) }
            known[jobID] = facts
        }
        return facts
    }

    /// The loop knows a job's frames (its context): no need to resolve its spec again for them.
    func note(_ frames: [Int], of jobID: String) {
        lock.withLock {
            if known.count >= Self.cacheLimit * 8 { known.removeAll(keepingCapacity: true) }
            if known[jobID] == nil { known[jobID] = Facts(numbers: frames, styles: nil, plate: nil) }
        }
    }

    /// A deleted job's numbers and answers go.
    func forget(_ jobID: String) {
        lock.withLock {
            known[jobID] = nil
            statusCache = statusCache.filter { $0.key.jobID != jobID }
        }
    }
}

/// A request the coordinator refuses, with the error to answer.
public struct ClientRefusal: Error, Sendable { public var error: Stylefarm_V1_ClientError }
