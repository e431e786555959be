/// A plate's alpha as regions (issue 20): transparent pixels are not part of the picture, so they must not pull the
/// style statistics. They become a photoreal region — no style term, their Gram contribution left out like any
/// region's (guided Gram matrices, Gatys et al. CVPR 2017 §4) — and `restoringPhotoreal` gives them back the plate.
extension RegionPlan {
    /// Whether `alpha` (one value per pixel) has any pixel short of opaque.
    public static func hasTransparency(_ alpha: [Float]) -> Bool { alpha.contains { $0 < 1 } }

    /// A whole-frame stylization of a plate with alpha as a plan: `opaque` (the alpha) takes style set `styleSet`,
    /// `transparent` (1 − alpha) stays photoreal. Nil when every pixel is opaque (the plain objective is the same).
    public static func opaque(alpha: [Float], width: Int, height: Int, styleSet: Int = 0) -> RegionPlan? {
        guard alpha.count == width * height, hasTransparency(alpha) else { return nil }
        let clamped = alpha.map { min(1, max(0, $0)) }
        return RegionPlan(width: width, height: height, regions: [
            Region(name: "opaque", mask: clamped, styleSet: styleSet),
            Region(name: "transparent", mask: clamped.map { 1 - $0 }, styleSet: nil),
        ])
    }

    /// This plan with every region limited to the plate's opaque part (its mask times the alpha) and the rest a
    /// photoreal `transparent` region; unchanged when every pixel is opaque.
    public func excludingTransparent(alpha: [Float]) -> RegionPlan {
        guard alpha.count == width * height, Self.hasTransparency(alpha) else { return self }
        var limited = regions
        for r in limited.indices {
            for i in limited[r].mask.indices { limited[r].mask[i] *= min(1, max(0, alpha[i])) }
        }
        limited.append(Region(name: "transparent", mask: alpha.map { 1 - min(1, max(0, $0)) }, styleSet: nil))
        return RegionPlan(width: width, height: height, regions: limited, warnings: warnings)
    }
}
