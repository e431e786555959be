/// Guided Gram matrices and the guided style loss (Gatys, Ecker, Bethge, Hertzmann & Shechtman,
/// "Controlling Perceptual Factors in Neural Style Transfer", CVPR 2017, section 4 and eq. 6–7).
///
/// A guide t (one value in [0, 1] per feature-map pixel) selects a region: the features are weighted
/// by it, F_t = F ∘ t (every channel multiplied pixel-wise), and the Gram matrix is normalised by the
/// guide's mass m = Σ t²:
///
///   G_t = F_t·F_tᵀ / m = F·diag(t²)·Fᵀ / m
///
/// so G_t is the t²-weighted mean of the per-pixel outer products f·fᵀ — with t ≡ 1 exactly the plain
/// `Gram.compute` (G = F·Fᵀ/(H·W)). The loss is E_t = (1/C²)·‖G_t − A‖² as in `Gram`, and
///
///   ∂E_t/∂F = (4 / (C²·m)) · (G_t − A) · F · diag(t²)
///
/// (G_t − A symmetric). Both products reuse `Gram`'s BLAS kernels on a t-scaled copy of the features.
public enum GuidedGram {
    /// The guide's mass m = Σ t².
    public static func mass(_ guide: [Float]) -> Float {
        var m = 0.0
        for t in guide { m += Double(t) * Double(t) }
        return Float(m)
    }

    /// G_t (C×C row-major, symmetric). `guide` has one value per pixel of `features` (H·W); a guide with
    /// zero mass gives the zero matrix.
    public static func compute(_ features: Tensor, guide: [Float]) -> [Float] {
        precondition(guide.count == features.planeSize, "GuidedGram: the guide must have one value per feature pixel")
        let c = features.channels, n = features.planeSize
        var g = [Float](repeating: 0, count: c * c)
        let m = mass(guide)
        if c == 0 || n == 0 || m <= 0 { return g }
        ScratchPool.shared.withBuffer(capacity: c * n) { scaled in
            features.data.withUnsafeBufferPointer { fb in
                guide.withUnsafeBufferPointer { tb in
                    scale(fb.baseAddress!, by: tb.baseAddress!, channels: c, pixels: n, into: scaled)
                }
            }
            g.withUnsafeMutableBufferPointer { gb in
                Gram.product(scaled, channels: c, pixels: n, alpha: 1 / m, into: gb.baseAddress!)
            }
        }
        return g
    }

    /// weight·E_t, and ADDS weight·∂E_t/∂F to `gradient`. A guide with zero mass contributes nothing.
    ///
    /// Pixels where t = 0 contribute nothing to G_t or to the gradient, so when the guide covers at most
    /// `sparseFraction` of the map, only its support is gathered (F∘t on those columns), multiplied, and the
    /// gradient scattered back: a region costs in proportion to its area, and N regions that partition a
    /// frame cost about one plain Gram loss instead of N.
    public static func styleLoss(features: Tensor, guide: [Float], target: [Float], weight: Float,
                                 accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(gradient.hasSameShape(as: features), "GuidedGram.styleLoss: gradient shape mismatch")
        precondition(guide.count == features.planeSize, "GuidedGram: the guide must have one value per feature pixel")
        let c = features.channels, n = features.planeSize
        precondition(target.count == c * c, "GuidedGram.styleLoss: target must be C×C")
        let m = mass(guide)
        if c == 0 || n == 0 || m <= 0 { return 0 }
        var support: [Int32] = []
        support.reserveCapacity(n)
        for p in 0..<n where guide[p] != 0 { support.append(Int32(p)) }
        if Float(support.count) > sparseFraction * Float(n) {
            return denseStyleLoss(features: features, guide: guide, target: target, weight: weight, mass: m,
                                  accumulatingGradientInto: &gradient)
        }
        let k = support.count
        var diff = [Float](repeating: 0, count: c * c)
        var e = 0.0
        ScratchPool.shared.withBuffer(capacity: 2 * c * k) { buffer in
            let gathered = buffer, product = buffer + c * k
            features.data.withUnsafeBufferPointer { fb in
                guide.withUnsafeBufferPointer { tb in
                    support.withUnsafeBufferPointer { sb in
                        let f = fb.baseAddress!, t = tb.baseAddress!, idx = sb.baseAddress!
                        ParallelLoop.forEachChunk(count: c) { channels in
                            for ch in channels {
                                let src = f + ch * n, dst = gathered + ch * k
                                for j in 0..<k { let p = Int(idx[j]); dst[j] = src[p] * t[p] }  // F ∘ t on the support
                            }
                        }
                        diff.withUnsafeMutableBufferPointer { db in
                            Gram.product(gathered, channels: c, pixels: k, alpha: 1 / m, into: db.baseAddress!)
                        }
                        e = Gram.sumOfSquaredDifferences(diff, target) / Double(c * c)
                        for j in 0..<diff.count { diff[j] -= target[j] }
                        ParallelLoop.forEachChunk(count: c) { channels in
                            for ch in channels {
                                let row = gathered + ch * k
                                for j in 0..<k { row[j] *= t[Int(idx[j])] }  // F ∘ t²
                            }
                        }
                        product.update(repeating: 0, count: c * k)
                        let alpha = weight * 4 / (Float(c * c) * m)
                        diff.withUnsafeBufferPointer { db in
                            Gram.addProduct(db.baseAddress!, gathered, channels: c, pixels: k, alpha: alpha, into: product)
                        }
                        gradient.data.withUnsafeMutableBufferPointer { gb in
                            let g = gb.baseAddress!
                            ParallelLoop.forEachChunk(count: c) { channels in
                                for ch in channels {
                                    let src = product + ch * k, dst = g + ch * n
                                    for j in 0..<k { dst[Int(idx[j])] += src[j] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return weight * Float(e)
    }

    /// Guides covering more than this fraction of the map take the dense path (no gather/scatter).
    static let sparseFraction: Float = 0.75

    private static func denseStyleLoss(features: Tensor, guide: [Float], target: [Float], weight: Float, mass m: Float,
                                       accumulatingGradientInto gradient: inout Tensor) -> Float {
        let c = features.channels, n = features.planeSize
        var diff = [Float](repeating: 0, count: c * c)
        var e = 0.0
        ScratchPool.shared.withBuffer(capacity: c * n) { scaled in
            features.data.withUnsafeBufferPointer { fb in
                guide.withUnsafeBufferPointer { tb in
                    let t = tb.baseAddress!
                    scale(fb.baseAddress!, by: t, channels: c, pixels: n, into: scaled)  // F ∘ t
                    diff.withUnsafeMutableBufferPointer { db in
                        Gram.product(scaled, channels: c, pixels: n, alpha: 1 / m, into: db.baseAddress!)
                    }
                    e = Gram.sumOfSquaredDifferences(diff, target) / Double(c * c)
                    for j in 0..<diff.count { diff[j] -= target[j] }
                    scale(scaled, by: t, channels: c, pixels: n, into: scaled)  // F ∘ t²
                }
            }
            let alpha = weight * 4 / (Float(c * c) * m)
            diff.withUnsafeBufferPointer { db in
                gradient.data.withUnsafeMutableBufferPointer { gb in
                    Gram.addProduct(db.baseAddress!, scaled, channels: c, pixels: n, alpha: alpha, into: gb.baseAddress!)
                }
            }
        }
        return weight * Float(e)
    }

    /// weight·E_t without a gradient.
    public static func styleLoss(features: Tensor, guide: [Float], target: [Float], weight: Float) -> Float {
        let g = compute(features, guide: guide)
        if mass(guide) <= 0 { return 0 }
        return weight * Float(Gram.sumOfSquaredDifferences(g, target) / Double(features.channels * features.channels))
    }

    /// out[c, p] = f[c, p]·t[p] (`out` may be `f`), channels in parallel.
    private static func scale(_ f: UnsafePointer<Float>, by t: UnsafePointer<Float>, channels c: Int, pixels n: Int,
                              into out: UnsafeMutablePointer<Float>) {
        ParallelLoop.forEachChunk(count: c) { channels in
            for ch in channels {
                let src = f + ch * n, dst = out + ch * n
                for p in 0..<n { dst[p] = src[p] * t[p] }
            }
        }
    }
}
