import Engine

/// How a job keeps its frames consistent over time (`--temporal`, docs/JOBS.md "Temporal consistency").
public enum TemporalStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every frame alone, all in parallel: the baseline (it may flicker).
    case independent
    /// Ruder, Dosovitskiy & Brox (2016) single pass: frame t starts from, and is pulled toward, frame t−1's
    /// result warped by the optical flow; frames of a shot run one after another.
    case sequential
    /// K Jacobi sweeps: sweep 0 stylizes every frame alone; in each later sweep every frame is optimized in
    /// parallel, from its own last result, toward both neighbours' results of the previous sweep. No frame
    /// waits for another inside a sweep. `iterations` is split over the sweeps.
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
    /// Multipass sweeps.
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

    /// The factor on γ for multipass sweep `pass` (0-based): 1 + gammaRamp·pass/(passes − 1); 1 for the
    /// other strategies. Measured (docs/BENCHMARKS.md): 24 sweeps with a ramp of 16 put multipass at 1.04× of
    /// sequential's warp error on blackswan and 0.45× on RubberWhale (12 sweeps with a ramp of 4: 2.26×, 0.89×).
    public func sweepWeightFactor(pass: Int) -> Float {
        guard strategy == .multipass, passes > 1 else { return 1 }
        return 1 + gammaRamp * Float(pass) / Float(passes - 1)
    }

    /// The temporal loss weight for a job with this content weight.
    public func lossWeight(contentWeight: Float) -> Float {
        weight ?? TemporalLoss.defaultWeight(contentWeight: contentWeight)
    }

    /// Whether the job needs optical flow between its frames.
    public var usesFlow: Bool { strategy != .independent }
}

extension DISPreset: Codable {}
