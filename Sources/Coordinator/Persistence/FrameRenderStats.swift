import Foundation

/// What a frame's renders took, summed from its tasks' attempts (flows, sweeps, tiles and the output render):
/// the job detail's timings and losses per frame.
public struct FrameRenderStats: Sendable, Hashable {
    public var frameIndex: Int
    /// When the frame's first attempt started, and its last ended (nil while none has).
    public var startedAt: Date?
    public var endedAt: Date?
    /// Worker seconds and evaluations of the attempts that returned a result.
    public var renderSeconds: Double
    public var evaluations: Int
    /// The final losses of the frame's completed output renders (summed over a tiled frame's tiles); nil until one
    /// reported them.
    public var losses: AttemptStats?

    public init(frameIndex: Int, startedAt: Date? = nil, endedAt: Date? = nil, renderSeconds: Double = 0,
                evaluations: Int = 0, losses: AttemptStats? = nil) {
        self.frameIndex = frameIndex
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.renderSeconds = renderSeconds
        self.evaluations = evaluations
        self.losses = losses
    }
}
