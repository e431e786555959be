import Engine

/// A job's checked region settings (`segment`, `regions`, …): what the coordinator plans with and sends
/// to workers. Made by `JobSpec.resolve(baseDirectory:)`; every path is absolute.
public struct ResolvedRegions: Sendable, Equatable {
    /// The mask source. For `matte:` / `ids:` its path is the text as resolved (possibly a frame pattern).
    public var source: RegionSource
    /// Frame pattern of the per-frame mattes / ID maps, when the `matte:` / `ids:` path has a placeholder.
    public var maskPattern: PathPattern?
    /// The `--region` assignments with their weights, style paths absolute, in spec order.
    public var assignments: [RegionAssignment]
    public var guide: GuidePropagation
    public var mode: RegionStylization.Mode
    /// Dense-CRF refinement of network masks.
    public var crf: Bool

    public init(source: RegionSource, maskPattern: PathPattern?, assignments: [RegionAssignment],
                guide: GuidePropagation, mode: RegionStylization.Mode, crf: Bool) {
        self.source = source; self.maskPattern = maskPattern; self.assignments = assignments
        self.guide = guide; self.mode = mode; self.crf = crf
    }

    /// The style sets of this job (`hasDefaultStyle`: whether the job has `styles` of its own).
    public func layout(hasDefaultStyle: Bool) -> RegionStyleLayout {
        RegionStyleLayout(assignments: assignments, hasDefaultStyle: hasDefaultStyle)
    }

    /// The matte / ID map of `frame` (nil for network sources): the pattern's path of the frame, else the
    /// one file every frame shares.
    public func maskPath(for frame: Int) -> String? {
        switch source {
        case .deeplab, .deeplabSmall, .selfie, .cryptomatte: return nil
        case .matte(let path), .ids(let path): return maskPattern?.path(for: frame) ?? path
        }
    }

    /// Whether some region is `background` (or `rest`), so the job needs no `styles` of its own.
    public var coversBackground: Bool { assignments.contains { $0.name == "background" || $0.name == "rest" } }
}
