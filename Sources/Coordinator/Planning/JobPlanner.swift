/// Turns a resolved job into frames and tasks. Pure and deterministic: equal inputs give equal
/// plans, task IDs included, so re-planning after a coordinator restart reproduces the same IDs.
public struct JobPlanner: Sendable {
    public init() {}

    /// Plans `job` under `jobID` (assigned by the coordinator, e.g. from persistence). `frameSize` is
    /// the output size of a frame (`ResolvedJob.outputFrameSize(contentWidth:contentHeight:)` of the
    /// first content frame); `styleTargetKey` is required for stylize jobs. One task per frame, each
    /// covering the full frame.
    public func plan(_ job: ResolvedJob, jobID: String, frameSize: PixelSize,
                     styleTargetKey: StyleTargetKey?) throws -> JobPlan {
        if jobID.isEmpty { throw JobPlanError.emptyJobID }
        guard frameSize.width > 0, frameSize.height > 0 else { throw JobPlanError.invalidFrameSize(frameSize) }
        if job.kind == .stylize && styleTargetKey == nil { throw JobPlanError.missingStyleTargetKey(job: job.name) }
        if job.frames.isEmpty { throw JobPlanError.noFrames(job: job.name) }
        let key = job.kind == .stylize ? styleTargetKey : nil
        let region = TaskRegion.full(frameSize)
        var frames: [PlannedFrame] = []
        var tasks: [PlannedTask] = []
        frames.reserveCapacity(job.frames.count)
        tasks.reserveCapacity(job.frames.count)
        for (index, frame) in job.frames.frames.enumerated() {
            frames.append(PlannedFrame(index: index, frame: frame, contentPath: job.content?.path(for: frame),
                                       outputPath: job.output?.path(for: frame)))
            tasks.append(PlannedTask(id: Self.taskID(jobID: jobID, frame: frame, region: region), frameIndex: index,
                                     frame: frame, region: region, styleTargetKey: key))
        }
        return JobPlan(jobID: jobID, job: job, frameSize: frameSize, styleTargetKey: key, frames: frames, tasks: tasks)
    }

    /// `<jobID>-f<frame>-r<x>_<y>_<width>x<height>`.
    public static func taskID(jobID: String, frame: Int, region: TaskRegion) -> String {
        "\(jobID)-f\(frame)-r\(region.x)_\(region.y)_\(region.width)x\(region.height)"
    }
}
