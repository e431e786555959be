import Foundation

/// Reassembling a frame from overlapping tiles with smooth (raised-cosine) weights (issue 7).
///
/// **Weights.** Tile k weighs pixel (x, y) of its padded rectangle by w_k = a(dx)·a(dy), where dx, dy are
/// the distances from the pixel to the tile's core along each axis (0 inside the core) and
///
///     a(d) = cos²(π/2 · d/(R + 1)) = ½·(1 + cos(π·d/(R + 1)))   for 0 ≤ d ≤ R,   0 beyond,
///
/// R the ramp (the plan's halo). So a tile has full weight over its core and a Hann ramp across its
/// halo that would reach 0 one pixel past the padded edge; it never ramps toward the frame border,
/// because a padded rectangle is clipped to the frame and has no halo there. Every pixel lies in
/// exactly one core, so Σ w ≥ 1 and the normalized blend Σ w_k·v_k / Σ w_k is always defined.
///
/// **Bit-exact when the tiles agree.** The normalized blend is evaluated as a running weighted mean
/// over the covering tiles in ascending tile index:
///
///     m₁ = v₁,  W₁ = w₁;   W_k = W_{k−1} + w_k,  m_k = m_{k−1} + (w_k / W_k)·(v_k − m_{k−1}).
///
/// When every tile holds the same value v at a pixel, v_k − m_{k−1} is exactly 0 in floating point and
/// m stays exactly v whatever the weights round to — so the crops of one frame reassemble into that
/// frame bit for bit (and into the same 8/16-bit samples after quantization). The fixed order makes the
/// result independent of the order in which tiles arrive (`TileAssembler` blends a region only once all
/// its tiles are there), so the same tiles always give the same bytes.
public enum TileBlending {
    /// a(d) above: 1 at d = 0, falling smoothly to 0 (exclusive) at d = ramp + 1.
    public static func rampWeight(distance d: Int, ramp: Int) -> Float {
        guard d > 0 else { return 1 }
        guard d <= ramp else { return 0 }
        let t = Double(d) / Double(ramp + 1)
        return Float(0.5 * (1 + cos(Double.pi * t)))
    }

    /// The weight a(d) of each column `first ..< first + count` for a tile whose core spans
    /// columns `coreStart ..< coreEnd` (the same function serves rows).
    static func axisWeights(first: Int, count: Int, coreStart: Int, coreEnd: Int, ramp: Int) -> [Float] {
        (first ..< first + count).map { p in
            rampWeight(distance: max(coreStart - p, p - (coreEnd - 1), 0), ramp: ramp)
        }
    }

    /// The frame assembled from all tiles of `layout` at once; `images[k]` is tile k's padded rectangle.
    /// (A coordinator that receives tiles one by one uses `TileAssembler` directly.)
    public static func assemble(layout: TileLayout, images: [Image]) throws -> Image {
        guard images.count >= layout.tiles.count else {
            throw TileBlendingError.incomplete(missing: Array(images.count ..< layout.tiles.count))
        }
        let channels = images.first?.channels ?? 0
        var assembler = try TileAssembler(layout: layout, channels: channels)
        for (k, image) in images.enumerated() { try assembler.add(tile: k, image: image) } // extra images: unknownTile
        return try assembler.image()
    }
}
