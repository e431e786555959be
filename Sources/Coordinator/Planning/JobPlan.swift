/// One frame of a job.
public struct PlannedFrame: Sendable, Hashable {
    /// Position in the job (0-based, ascending with the frame number).
    public var index: Int
    /// The frame number (as in the file names).
    public var frame: Int
    /// The content image (absolute); nil for echo jobs without content.
    public var contentPath: String?
    /// Where the result goes (absolute, inside the output directory); nil for echo jobs without output.
    public var outputPath: String?

    public init(index: Int, frame: Int, contentPath: String?, outputPath: String?) {
        self.index = index; self.frame = frame; self.contentPath = contentPath; self.outputPath = outputPath
    }
}

/// One unit of work handed to a worker.
public struct PlannedTask: Sendable, Hashable {
    /// Deterministic: `<jobID>-f<frame>-r<x>_<y>_<width>x<height>`, equal for equal plans.
    public var id: String
    /// Index into `JobPlan.frames`.
    public var frameIndex: Int
    /// The frame number.
    public var frame: Int
    /// The part of the frame this task renders.
    public var region: TaskRegion
    /// The style targets every task of the job shares (nil for echo jobs).
    public var styleTargetKey: StyleTargetKey?

    public init(id: String, frameIndex: Int, frame: Int, region: TaskRegion, styleTargetKey: StyleTargetKey?) {
        self.id = id; self.frameIndex = frameIndex; self.frame = frame; self.region = region
        self.styleTargetKey = styleTargetKey
    }
}

/// A job broken into frames and tasks, in frame order.
public struct JobPlan: Sendable, Equatable {
    public var jobID: String
    public var job: ResolvedJob
    /// Output size of every frame (the planner assumes a sequence has one size).
    public var frameSize: PixelSize
    public var styleTargetKey: StyleTargetKey?
    public var frames: [PlannedFrame]
    public var tasks: [PlannedTask]

    public init(jobID: String, job: ResolvedJob, frameSize: PixelSize, styleTargetKey: StyleTargetKey?,
                frames: [PlannedFrame], tasks: [PlannedTask]) {
        self.jobID = jobID; self.job = job; self.frameSize = frameSize; self.styleTargetKey = styleTargetKey
        self.frames = frames; self.tasks = tasks
    }
}

/// Why a job could not be planned.
public enum JobPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyJobID
    case invalidFrameSize(PixelSize)
    /// A stylize job needs the style-target key (compute it with `StyleTargetKey`).
    case missingStyleTargetKey(job: String)
    case noFrames(job: String)

    public var description: String {
        switch self {
        case .emptyJobID: return "a job ID is required to plan a job"
        case .invalidFrameSize(let s): return "frame size \(s) is not positive; read it from the first content frame"
        case .missingStyleTargetKey(let job): return "job \(job) is a stylize job; compute its style-target key before planning"
        case .noFrames(let job): return "job \(job) has no frames"
        }
    }
}
