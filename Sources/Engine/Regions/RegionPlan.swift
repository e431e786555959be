import Foundation

/// The regions of one frame, ready for the objective: soft masks that partition the frame (they sum to
/// at most 1 per pixel, and to 1 wherever a region with a style or content term applies), each with
/// its style set and weights.
public struct RegionPlan: Sendable {
    public struct Region: Sendable {
        public var name: String
        /// One value in [0, 1] per pixel of the plan's size.
        public var mask: [Float]
        /// Index into the stylization's style sets, or nil for a photoreal region (content only).
        public var styleSet: Int?
        public var contentWeight: Float
        public var styleWeight: Float
        public init(name: String, mask: [Float], styleSet: Int?, contentWeight: Float = 1, styleWeight: Float = 1) {
            self.name = name
            self.mask = mask
            self.styleSet = styleSet
            self.contentWeight = contentWeight
            self.styleWeight = styleWeight
        }

        /// The region's share of the frame, Σ mask / pixels.
        public var share: Float {
            mask.isEmpty ? 0 : Float(mask.reduce(0.0) { $0 + Double($1) } / Double(mask.count))
        }
    }

    public let width: Int
    public let height: Int
    public var regions: [Region]
    /// Regions skipped because they are empty in this frame (not an error: a dog may leave the shot).
    public var warnings: [String]

    /// Regions with less than this share of the frame are skipped with a warning.
    public static let minimumShare: Float = 1e-4

    public init(width: Int, height: Int, regions: [Region], warnings: [String] = []) {
        precondition(regions.allSatisfy { $0.mask.count == width * height }, "RegionPlan: mask size mismatch")
        self.width = width
        self.height = height
        self.regions = regions
        self.warnings = warnings
    }

    /// Resolves `--region` assignments against a frame's masks.
    ///
    /// - Named regions take their mask; where several overlap (e.g. `person` and `foreground`) they are
    ///   scaled to sum to 1.
    /// - `background` is everything the other named regions leave (1 − their sum), whatever the source calls
    ///   background; without a `background` assignment that rest gets `defaultStyleSet` (the job's own
    ///   `--style`), and without one of those either it is an error if the rest is not empty.
    /// - `styleSets[i]` is the style set of `assignments[i]` (nil for `none`).
    public static func resolve(masks: RegionMasks, assignments: [RegionAssignment], styleSets: [Int?],
                               defaultStyleSet: Int?) throws -> RegionPlan {
        precondition(styleSets.count == assignments.count, "RegionPlan.resolve: one style set per assignment")
        let n = masks.width * masks.height
        var seen = Set<String>()
        var named: [Region] = []
        var background: Region? = nil
        for (assignment, set) in zip(assignments, styleSets) {
            let key = masks.canonicalName(assignment.name) ?? assignment.name.lowercased()
            guard seen.insert(key).inserted else { throw RegionError.duplicateRegion(assignment.name) }
            let region = Region(name: key, mask: [], styleSet: set, contentWeight: assignment.contentWeight,
                                styleWeight: assignment.styleWeight)
            if key == "background" || key == "rest" {
                background = region
                continue
            }
            guard let mask = masks.mask(named: key) else {
                throw RegionError.unknownRegion(assignment.name, known: masks.names + ["background"])
            }
            var r = region
            r.mask = mask
            named.append(r)
        }
        // Overlaps: scale where the named masks sum above 1.
        var total = [Float](repeating: 0, count: n)
        for r in named { for i in 0..<n { total[i] += r.mask[i] } }
        for k in named.indices {
            for i in 0..<n where total[i] > 1 { named[k].mask[i] /= total[i] }
        }
        var rest = [Float](repeating: 0, count: n)
        for i in 0..<n { rest[i] = max(0, 1 - min(1, total[i])) }
        var regions = named
        if var background {
            background.mask = rest
            regions.append(background)
        } else {
            let restRegion = Region(name: "rest", mask: rest, styleSet: defaultStyleSet, contentWeight: 1, styleWeight: 1)
            if restRegion.share >= minimumShare {
                guard defaultStyleSet != nil else { throw RegionError.uncoveredPixels(share: restRegion.share) }
                regions.append(restRegion)
            }
        }
        var warnings: [String] = []
        regions = regions.filter { r in
            if r.share >= minimumShare { return true }
            warnings.append(String(format: "region '%@' covers %.3f%% of the frame; skipped", r.name, 100 * r.share))
            return false
        }
        if regions.isEmpty { throw RegionError.noRegions }
        return RegionPlan(width: masks.width, height: masks.height, regions: regions, warnings: warnings)
    }

    /// This plan at another resolution (masks resampled bilinearly).
    public func resized(width newWidth: Int, height newHeight: Int) throws -> RegionPlan {
        if newWidth == width && newHeight == height { return self }
        let scaled = try regions.map { region -> Region in
            var copy = region
            copy.mask = try RegionMasks.resample(region.mask, width: width, height: height, toWidth: newWidth, height: newHeight)
            return copy
        }
        return RegionPlan(width: newWidth, height: newHeight, regions: scaled, warnings: warnings)
    }
}
