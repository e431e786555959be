/// The state of one output frame, rolled up from its tasks (tiles).
public enum FrameState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Some task of the frame is not finished.
    case pending
    /// Every task of the frame completed.
    case done
    /// A task of the frame failed for good.
    case failed
    /// The job was cancelled before the frame was done.
    case cancelled
}

/// One output frame of a job.
public struct FrameRecord: Sendable, Hashable {
    public var jobID: String
    /// The frame number in the sequence.
    public var index: Int
    /// Where the finished frame is written.
    public var outputPath: String
    public var state: FrameState
    /// SHA-256 (hex) of the finished frame's bytes: set from the task's result when the frame is
    /// one task, or by reassembly (``StateChange/frameAssembled(jobID:frameIndex:sha256:)``) when tiled.
    public var resultSHA256: String?
    /// The warp error against the previous frame (``StateChange/frameWarpError(jobID:frameIndex:warpError:certain:)``),
    /// and the fraction of the frame it was averaged over; nil where unknown.
    public var warpError: Double?
    public var warpCertain: Double?

    public init(jobID: String, index: Int, outputPath: String, state: FrameState = .pending, resultSHA256: String? = nil,
                warpError: Double? = nil, warpCertain: Double? = nil) {
        self.warpError = warpError
        self.warpCertain = warpCertain
        self.jobID = jobID
        self.index = index
        self.outputPath = outputPath
        self.state = state
        self.resultSHA256 = resultSHA256
    }
}
