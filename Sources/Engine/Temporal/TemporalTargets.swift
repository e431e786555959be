/// The temporal terms of one frame's stylization (Ruder, Dosovitskiy & Brox, "Artistic style transfer for
/// videos", GCPR 2016): earlier frames' stylized results warped into this frame, each with its per-pixel
/// certainty, the weight γ, and whether to start from the warped result.
public struct TemporalTargets: Sendable {
    public struct Target: Sendable {
        /// An earlier frame's result warped into this frame (`Warp.backward`), RGB, any size (scaled to
        /// each scale of the run).
        public var warped: Image
        /// One weight in [0, 1] per pixel of `warped` (`FlowCertainty.weights`, or the long-term weights).
        public var certainty: [Float]

        public init(warped: Image, certainty: [Float]) {
            precondition(certainty.count == warped.pixelCount, "TemporalTargets: one certainty per pixel")
            self.warped = warped
            self.certainty = certainty
        }
    }

    /// Closest frame first (the short-term loss is the single target t−1).
    public var targets: [Target]
    /// γ of `TemporalLoss` (default: Ruder's balance to the content weight, `TemporalLoss.defaultWeight`).
    public var weight: Float
    /// Start the optimization from the closest warped result where it is certain (the content image — or
    /// the configured initialization — where it is not): Ruder et al.'s warped initialization.
    public var initializeFromWarped: Bool

    public init(targets: [Target], weight: Float, initializeFromWarped: Bool = true) {
        self.targets = targets
        self.weight = weight
        self.initializeFromWarped = initializeFromWarped
    }

    /// Ruder et al.'s long-term weights ("closest first", section 3.3): frame t−j counts only where no closer
    /// frame was certain, c_long,j = max(c_j − Σ_{k<j} c_k, 0). `certainties` are closest first.
    public static func closestFirst(_ certainties: [[Float]]) -> [[Float]] {
        guard let n = certainties.first?.count else { return [] }
        var covered = [Float](repeating: 0, count: n)
        return certainties.map { c in
            precondition(c.count == n, "TemporalTargets.closestFirst: equal sizes")
            var out = [Float](repeating: 0, count: n)
            for i in 0..<n {
                out[i] = max(c[i] - covered[i], 0)
                covered[i] += c[i]
            }
            return out
        }
    }
}
