import Foundation
import Protocol

// The JSON the HTTP API answers with (api/openapi.yaml, components/schemas): the client protocol's replies
// mapped once, field by field, with snake_case keys, lower-case state names and ISO 8601 times.

/// Time stamps on the API: ISO 8601 in UTC with milliseconds, nil for "never" (0 on the wire).
func isoTime(unixMs: Int64) -> String? {
    guard unixMs > 0 else { return nil }
    return isoFormatter.string(from: Date(timeIntervalSince1970: Double(unixMs) / 1000))
}

private nonisolated(unsafe) let isoFormatter: ISO8601DateFormatter = {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter
}()

struct JobJSON: Codable, Equatable {
    var id: String
    var name: String
    var state: String
    var priority: Int
    var owner: String
    var pausedReason: String?
    var framesTotal: Int
    var framesDone: Int
    var framesFailed: Int
    /// Finished frames over all frames, 0…1.
    var progress: Double
    var submittedAt: String?
    var blockedWorkers: [String]
    /// Only in a job's detail.
    var frames: [FrameJSON]?
    /// Only in a job's detail: its style images (then each region's).
    var styles: [StyleJSON]?

    init(_ s: Stylefarm_V1_JobSummary, frames: [Stylefarm_V1_FrameStatus]? = nil, styles: [Stylefarm_V1_StyleImage]? = nil) {
        id = s.jobID
        name = s.name
        state = s.state.name
        priority = Int(s.priority)
        owner = s.owner
        pausedReason = s.pausedReason.isEmpty ? nil : s.pausedReason
        framesTotal = Int(s.framesTotal)
        framesDone = Int(s.framesDone)
        framesFailed = Int(s.framesFailed)
        progress = s.framesTotal == 0 ? 0 : Double(s.framesDone + s.framesFailed) / Double(s.framesTotal)
        submittedAt = isoTime(unixMs: s.submittedUnixMs)
        blockedWorkers = s.blockedWorkers
        self.frames = frames.map { $0.map { FrameJSON($0, jobID: s.jobID) } }
        self.styles = styles.map { $0.enumerated().map { StyleJSON(index: $0.offset, image: $0.element, jobID: s.jobID) } }
    }
}

/// A job's style image: its file name (not the coordinator's path), the region it styles, and its preview.
struct StyleJSON: Codable, Equatable {
    var index: Int
    var name: String
    var region: String?
    var thumbnailUrl: String

    init(index: Int, image: Stylefarm_V1_StyleImage, jobID: String) {
        self.index = index
        name = URL(fileURLWithPath: image.path).lastPathComponent
        region = image.region.isEmpty ? nil : image.region
        thumbnailUrl = "/api/v1/jobs/\(jobID)/styles/\(index)/thumbnail"
    }
}

struct FrameJSON: Codable, Equatable {
    /// Position in the job's frame list (0-based).
    var index: Int
    /// The frame's number in the job's range (what requeue and logs take).
    var number: Int64
    var state: String
    var attempts: Int
    var worker: String?
    var error: String?
    /// The frame's first attempt's start, and its last attempt's end (nil while one runs).
    var startedAt: String?
    var endedAt: String?
    /// Worker seconds and optimizer evaluations of the frame's attempts that returned a result.
    var renderSeconds: Double
    var evaluations: Int
    /// The output render's last losses, once reported.
    var losses: LossesJSON?
    /// Temporal jobs: the warp error against the previous frame, and the fraction of the frame it counts.
    var warpError: Double?
    var warpCertain: Double?
    /// A finished frame's preview.
    var thumbnailUrl: String?
    /// Only in a frame's own detail (`GET /api/v1/jobs/{id}/frames/{n}`): its tasks and their attempts.
    var tasks: [TaskJSON]?

    init(_ f: Stylefarm_V1_FrameStatus, jobID: String) {
        index = Int(f.frameIndex)
        number = f.frameNumber
        state = f.state.name
        attempts = Int(f.attempts)
        worker = f.workerID.isEmpty ? nil : f.workerID
        error = f.error.isEmpty ? nil : f.error
        startedAt = isoTime(unixMs: f.startedUnixMs)
        endedAt = isoTime(unixMs: f.endedUnixMs)
        renderSeconds = f.renderSeconds
        evaluations = Int(f.evaluations)
        losses = f.hasFinalLosses ? LossesJSON(f.finalLosses) : nil
        warpError = f.hasWarpError ? f.warpError : nil
        warpCertain = f.hasWarpError ? f.warpCertain : nil
        thumbnailUrl = f.state == .done ? "/api/v1/jobs/\(jobID)/frames/\(f.frameNumber)/thumbnail" : nil
        tasks = f.tasks.isEmpty ? nil : f.tasks.map(TaskJSON.init)
    }
}

/// The terms of the style-transfer objective at the optimizer's last step.
struct LossesJSON: Codable, Equatable {
    var total: Double
    var content: Double
    var style: Double
    var tv: Double

    init(_ l: Stylefarm_V1_Losses) { total = l.total; content = l.content; style = l.style; tv = l.tv }
}

/// One task of a frame (a flow, a sweep, a tile, the output render).
struct TaskJSON: Codable, Equatable {
    var id: String
    var state: String
    var producesOutput: Bool
    /// The pixels it renders: x, y, width, height.
    var rect: [Int]
    var attemptsUsed: Int
    var maxAttempts: Int
    var worker: String?
    var error: String?
    var attempts: [TaskAttemptJSON]

    init(_ t: Stylefarm_V1_TaskStatus) {
        id = t.taskID
        state = t.state
        producesOutput = t.producesOutput
        rect = [Int(t.rect.x), Int(t.rect.y), Int(t.rect.width), Int(t.rect.height)]
        attemptsUsed = Int(t.attemptsUsed)
        maxAttempts = Int(t.maxAttempts)
        worker = t.workerID.isEmpty ? nil : t.workerID
        error = t.error.isEmpty ? nil : t.error
        attempts = t.attempts.map(TaskAttemptJSON.init)
    }
}

/// One attempt of a task, with what its worker measured (logs: `GET /api/v1/jobs/{id}/logs`).
struct TaskAttemptJSON: Codable, Equatable {
    var number: Int
    var worker: String
    var outcome: String
    var startedAt: String?
    var endedAt: String?
    var error: String?
    var wallSeconds: Double?
    var evaluations: Int?
    var peakRssBytes: UInt64?
    var losses: LossesJSON?

    init(_ a: Stylefarm_V1_AttemptStatus) {
        number = Int(a.number)
        worker = a.workerID
        outcome = a.outcome
        startedAt = isoTime(unixMs: a.startedUnixMs)
        endedAt = isoTime(unixMs: a.endedUnixMs)
        error = a.error.isEmpty ? nil : a.error
        if a.statsReported {
            wallSeconds = a.wallSeconds
            evaluations = Int(a.evaluations)
            peakRssBytes = a.peakRssBytes
            losses = LossesJSON(a.finalLosses)
        }
    }
}

struct JobListJSON: Codable, Equatable {
    var jobs: [JobJSON]
    /// Jobs that matched before `offset` and `limit` were applied.
    var total: Int
    var offset: Int
}

struct SubmittedJSON: Codable, Equatable { var id: String }

struct WorkerJSON: Codable, Equatable {
    var id: String
    var hostname: String
    var cores: Int
    var memoryBytes: UInt64
    var slots: Int
    var state: String
    var lastSeen: String?
    var tasksHeld: Int
    var unhealthyReason: String?
    var blockedJobs: [String]
    /// What it holds now, with each task's latest progress.
    var tasks: [TaskProgressJSON]
    /// The peak memory its last reported task took (nil: none yet).
    var peakRssBytes: UInt64?

    init(_ w: Stylefarm_V1_WorkerSummary) {
        id = w.workerID
        hostname = w.hostname
        cores = Int(w.cores)
        memoryBytes = w.memoryBytes
        slots = Int(w.slots)
        state = w.state
        lastSeen = isoTime(unixMs: w.lastSeenUnixMs)
        tasksHeld = Int(w.tasksHeld)
        unhealthyReason = w.unhealthyReason.isEmpty ? nil : w.unhealthyReason
        blockedJobs = w.blockedJobs
        tasks = w.tasks.map(TaskProgressJSON.init)
        peakRssBytes = w.peakRssBytes == 0 ? nil : w.peakRssBytes
    }
}

struct WorkerListJSON: Codable, Equatable { var workers: [WorkerJSON] }

struct AttemptJSON: Codable, Equatable {
    var taskId: String
    var frame: Int64
    var attempt: Int
    var worker: String
    var outcome: String
    var startedAt: String?
    var endedAt: String?
    var error: String?
    var log: String
    /// While the attempt runs: bytes of its live log received so far.
    var logEnd: UInt64?

    init(_ a: Stylefarm_V1_AttemptLog) {
        taskId = a.taskID
        frame = a.frame
        attempt = Int(a.attempt)
        worker = a.workerID
        outcome = a.outcome
        startedAt = isoTime(unixMs: a.startedUnixMs)
        endedAt = isoTime(unixMs: a.endedUnixMs)
        error = a.error.isEmpty ? nil : a.error
        log = a.log
        logEnd = a.logEnd == 0 ? nil : a.logEnd
    }
}

struct LogsJSON: Codable, Equatable {
    var jobState: String
    var frameState: String?
    var attempts: [AttemptJSON]
    /// More attempts matched than one answer carries.
    var truncated: Bool

    init(_ r: Stylefarm_V1_TaskLogReply) {
        jobState = r.jobState.name
        frameState = r.frameState == .unspecified ? nil : r.frameState.name
        attempts = r.attempts.map(AttemptJSON.init)
        truncated = r.truncated
    }
}

struct ControlResultJSON: Codable, Equatable {
    var job: JobJSON
    var tasksAffected: Int
    var framesRequeued: [Int64]
    var framesSkipped: [Int64]

    init(_ r: Stylefarm_V1_JobControlReply) {
        job = JobJSON(r.job)
        tasksAffected = Int(r.tasksAffected)
        framesRequeued = r.framesRequeued
        framesSkipped = r.framesSkipped
    }
}

struct CancelResultJSON: Codable, Equatable { var cancelled: Bool }

struct DeleteResultJSON: Codable, Equatable {
    var tasksDeleted: Int
    var filesRemoved: Int
    var bytesFreed: UInt64
    var outputsRemoved: Int
}

struct GarbageResultJSON: Codable, Equatable {
    var filesRemoved: Int
    var bytesFreed: UInt64
}

struct ReinstateResultJSON: Codable, Equatable {
    var wasUnhealthy: Bool
}

struct WhoAmIJSON: Codable, Equatable {
    var name: String
    var role: String
}

struct TaskProgressJSON: Codable, Equatable {
    var frameIndex: Int
    var taskId: String
    /// In a worker's list: the task's job.
    var jobId: String?
    var worker: String
    var iteration: Int
    var budget: Int
    /// The optimizer's latest losses (a frame's loss curve, point by point, as events come).
    var losses: LossesJSON?

    init(_ p: Stylefarm_V1_TaskProgress) {
        frameIndex = Int(p.frameIndex)
        taskId = p.taskID
        jobId = p.jobID.isEmpty ? nil : p.jobID
        worker = p.workerID
        iteration = Int(p.iteration)
        budget = Int(p.budget)
        losses = p.hasLosses ? LossesJSON(p.losses) : nil
    }
}

/// One server-sent event's data: what `stylefarm watch` gets.
struct JobEventJSON: Codable, Equatable {
    var jobId: String
    var sequence: UInt64
    var at: String?
    var jobState: String
    var frame: FrameJSON?
    var framesDone: Int
    var framesTotal: Int
    var framesFailed: Int
    var terminal: Bool
    var workersBusy: Int
    var running: [TaskProgressJSON]

    init(_ e: Stylefarm_V1_JobEvent) {
        jobId = e.jobID
        sequence = e.sequence
        at = isoTime(unixMs: e.unixMs)
        jobState = e.jobState.name
        frame = e.hasFrame ? FrameJSON(e.frame, jobID: e.jobID) : nil
        framesDone = Int(e.framesDone)
        framesTotal = Int(e.framesTotal)
        framesFailed = Int(e.framesFailed)
        terminal = e.terminal
        workersBusy = Int(e.workersBusy)
        running = e.running.map(TaskProgressJSON.init)
    }
}

/// Every error the API answers: `{"error": {"code": "...", "message": "..."}}`.
struct ErrorJSON: Codable, Equatable {
    struct Body: Codable, Equatable {
        var code: String
        var message: String
    }
    var error: Body
}
