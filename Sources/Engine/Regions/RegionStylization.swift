/// How a frame's regions are stylized (`stylefarm stylize --segment … --region …`).
public struct RegionStylization: Sendable {
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// One optimization of the whole image with guided style terms per region (Gatys et al. 2017): no
        /// seams, regions meet where the content does.
        case joint
        /// For comparison: each style set stylizes the whole frame on its own, and the results are blended
        /// with feathered masks (photoreal regions take the content image). Cut-and-paste, with its seams.
        case composite
    }

    /// The regions at the content image's size.
    public var plan: RegionPlan
    public var propagation: GuidePropagation
    public var mode: Mode
    /// Composite mode: the masks' feather (Gaussian σ) as a fraction of the output's longer side.
    public var feather: Float

    public init(plan: RegionPlan, propagation: GuidePropagation = .inside, mode: Mode = .joint, feather: Float = 0.01) {
        self.plan = plan
        self.propagation = propagation
        self.mode = mode
        self.feather = feather
    }

    /// The style sets some region uses.
    public var usedStyleSets: [Int] {
        Array(Set(plan.regions.compactMap(\.styleSet))).sorted()
    }
}
