/// Numbers the style sets of a region stylization, the same way in the CLI, the coordinator and the
/// worker: set 0 is the job's own `--style` images (blended), when it has any; then one set per distinct
/// region style image, in the order of first mention.
public struct RegionStyleLayout: Sendable, Equatable {
    /// The style image of each set after the job's own, in set order.
    public let regionStylePaths: [String]
    /// The region each set after the job's own was made for (its first, when sets are shared by image).
    public let regionStyleNames: [String]
    /// The set of each assignment (nil for `none`), parallel to the assignments.
    public let assignmentSets: [Int?]
    /// The set of the job's own styles (for the rest of the frame), or nil when it has none.
    public let defaultSet: Int?

    /// With `perRegion` every styled region gets a set of its own even when regions share a style image
    /// (their targets differ when they come from the matching region of the style image).
    public init(assignments: [RegionAssignment], hasDefaultStyle: Bool, perRegion: Bool = false) {
        var paths: [String] = [], names: [String] = []
        let offset = hasDefaultStyle ? 1 : 0
        assignmentSets = assignments.map { assignment in
            guard case .image(let path) = assignment.style else { return nil }
            if !perRegion, let i = paths.firstIndex(of: path) { return offset + i }
            paths.append(path)
            names.append(assignment.name)
            return offset + paths.count - 1
        }
        regionStylePaths = paths
        regionStyleNames = names
        defaultSet = hasDefaultStyle ? 0 : nil
    }

    /// Number of style sets.
    public var setCount: Int { (defaultSet == nil ? 0 : 1) + regionStylePaths.count }
}
