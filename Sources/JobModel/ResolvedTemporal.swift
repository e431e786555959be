import Engine

/// How a job keeps its frames consistent over time (`--temporal`, docs/JOBS.md "Temporal consistency").
public enum TemporalStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every frame alone, all in parallel: the baseline (it may flicker).
    case independent
    /// Ruder, Dosovitskiy & Brox (2016) single pass: frame t starts from, and is pulled toward, frame t−1's
    /// result warped by the optical flow; frames of a shot run one after another.
    case sequential
    /// Jacobi sweeps: sweep 0 stylizes every frame alone; in each later sweep every frame is optimized in
    /// parallel, from its own last result, toward both neighbours' results of the previous sweep. No frame
    /// waits for another inside a sweep. The budget is split by `multipassBudgets(iterations:)`.
    case multipass
    /// The shot in overlapping chunks that run in parallel, each sequential inside; the frames two chunks
    /// share are cross-faded from the earlier chunk's result to the later one's.
    case chunked
}

/// A job's checked temporal settings. Made by `JobSpec.resolve(baseDirectory:)`.
public struct ResolvedTemporal: Sendable, Equatable, Codable {
    public static let defaultPasses = 24
    public static let defaultChunkFrames = 8
    public static let defaultChunkOverlap = 2
    public static let defaultBlend: Float = 0.5
    public static let defaultGammaRamp: Float = 16
    public static let passesRange = 1...64

    public var strategy: TemporalStrategy
    /// γ of the temporal loss; nil = `TemporalLoss.defaultWeight(contentWeight:)`.
    public var weight: Float?
    /// Multipass: the most sweeps (`multipassBudgets` runs fewer when the budget is small).
    public var passes: Int
    /// Chunked: frames per chunk and frames shared by neighbouring chunks.
    public var chunkFrames: Int
    public var chunkOverlap: Int
    /// Frame numbers that start a new shot, as the job lists them (detected cuts are added at submit).
    public var cuts: [Int]
    /// Whether the coordinator looks for more cuts in the content (colour histograms, `ShotCutDetector`).
    public var detectCuts: Bool
    public var flowPreset: DISPreset
    /// Sequential and chunked: start from the warped previous result where it is certain.
    public var warpedInitialization: Bool
    /// Multipass: how far each sweep's start moves toward the certain warped neighbours.
    public var blend: Float
    /// Multipass: γ grows linearly over the sweeps, from γ in sweep 1 to (1 + gammaRamp)·γ in the last
    /// (`sweepWeightFactor`), so the frames settle on their neighbours as the sweeps go on.
    public var gammaRamp: Float

    public init(strategy: TemporalStrategy = .independent, weight: Float? = nil, passes: Int = defaultPasses,
                chunkFrames: Int = defaultChunkFrames, chunkOverlap: Int = defaultChunkOverlap, cuts: [Int] = [],
                detectCuts: Bool = true, flowPreset: DISPreset = .medium, warpedInitialization: Bool = true,
                blend: Float = defaultBlend, gammaRamp: Float = defaultGammaRamp) {
        self.strategy = strategy; self.weight = weight; self.passes = passes; self.chunkFrames = chunkFrames
        self.chunkOverlap = chunkOverlap; self.cuts = cuts; self.detectCuts = detectCuts; self.flowPreset = flowPreset
        self.warpedInitialization = warpedInitialization; self.blend = blend; self.gammaRamp = gammaRamp
    }

    /// Multipass lineage (issue 24, docs/BENCHMARKS.md "Multipass from one lineage"): before sweep 0, the shot
    /// is rendered sequentially at `lineageScale` of the job's size with `lineageShare` of sweep 0's evaluations,
    /// and each frame's sweep 0 starts from its lineage frame. Every frame's texture then comes from one
    /// lineage (as in `sequential`), while the full-size work stays parallel. Chosen on the synthetic shot and
    /// DAVIS blackswan: ½ and ½ gave the best style but 2.8× sequential's warp error on blackswan; ¾ and ¾
    /// (with a γ ramp of 16) meet style ≤ 1.1× independent's, warp ≤ 1.2× sequential's and wall ≤ 0.6× on both.
    public static let lineageScale: Float = 0.75
    public static let lineageShare: Float = 0.75

    /// Multipass: the share of a frame's evaluations that sweep 0 (every frame alone, no temporal term) takes.
    public static let firstSweepShare: Float = 0.75
    /// Multipass: the evaluations of a consistency sweep (1, 2, …); fewer sweeps run when the budget is small.
    /// Longer sweeps let each frame grow its own texture again (3 sweeps of 8 evaluations: 2× the warp error
    /// of 3 of 5 on the synthetic shot, docs/BENCHMARKS.md), shorter ones spend most of their evaluations on
    /// L-BFGS's restart.
    public static let minimumSweepEvaluations = 5

    /// The evaluations of every multipass sweep of a frame whose budget is `iterations` (issue 24): sweep 0
    /// stylizes each frame alone with `firstSweepShare` of the budget, so every frame has reached the style
    /// before any is pulled toward its neighbours (the even split this replaces left each of 24 sweeps 2–3
    /// evaluations, and the frames held still by never leaving the photograph); the rest is split evenly over
    /// at most `passes − 1` consistency sweeps of at least `minimumSweepEvaluations` each (the last ones take
    /// the remainder). One sweep (the whole budget, no temporal term) when there is nothing to split.
    public func multipassBudgets(iterations: Int) -> [Int] {
        guard passes > 1, iterations > 1 else { return [iterations] }
        let first = min(iterations - 1, max(1, Int((Float(iterations) * Self.firstSweepShare).rounded())))
        let rest = iterations - first
        let sweeps = max(1, min(passes - 1, rest / Self.minimumSweepEvaluations))
        let base = rest / sweeps, extra = rest % sweeps
        return [first] + (0..<sweeps).map { base + ($0 >= sweeps - extra ? 1 : 0) }
    }

    /// The factor on γ for multipass sweep `sweep` (0-based) of a frame whose budget is `iterations`:
    /// 1 + gammaRamp·sweep/(K − 1) over the K sweeps `multipassBudgets(iterations:)` plans; 1 for the other strategies.
    public func sweepWeightFactor(sweep: Int, iterations: Int) -> Float {
        guard strategy == .multipass else { return 1 }
        let sweeps = multipassBudgets(iterations: iterations).count
        guard sweeps > 1 else { return 1 }
        return 1 + gammaRamp * Float(sweep) / Float(sweeps - 1)
    }

    /// The temporal loss weight for a job with this content weight.
    public func lossWeight(contentWeight: Float) -> Float {
        weight ?? TemporalLoss.defaultWeight(contentWeight: contentWeight)
    }

    /// Whether the job needs optical flow between its frames.
    public var usesFlow: Bool { strategy != .independent }
}

extension DISPreset: Codable {}
