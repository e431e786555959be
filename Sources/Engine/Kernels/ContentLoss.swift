/// Content loss weight·(1/(C·H·W)) Σ (F − P)² between features F and target features P.
public enum ContentLoss {
    public static func loss(features: Tensor, target: Tensor, weight: Float) -> Float {
        precondition(features.hasSameShape(as: target), "ContentLoss: shape mismatch")
        let n = features.count
        if n == 0 { return 0 }
        var s = 0.0
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                for j in 0..<n {
                    let d = Double(f[j]) - Double(p[j])
                    s += d * d
                }
            }
        }
        return weight * Float(s / Double(n))
    }

    /// As `loss`, and ADDS weight·(2/(C·H·W))(F − P) to `gradient`.
    public static func loss(features: Tensor, target: Tensor, weight: Float,
                            accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(gradient.hasSameShape(as: features), "ContentLoss: gradient shape mismatch")
        let value = loss(features: features, target: target, weight: weight)
        let n = features.count
        if n == 0 { return value }
        let scale = weight * 2 / Float(n)
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                gradient.data.withUnsafeMutableBufferPointer { g in
                    for j in 0..<n { g[j] += scale * (f[j] - p[j]) }
                }
            }
        }
        return value
    }

    /// Spatially weighted content loss weight·(1/(C·H·W)) Σ_c,p w_p·(F − P)², w one value per pixel (the
    /// per-region content weights of a region stylization); ADDS weight·(2/(C·H·W))·w_p·(F − P) to
    /// `gradient`. With w ≡ 1 it equals `loss(features:target:weight:accumulatingGradientInto:)`.
    public static func loss(features: Tensor, target: Tensor, pixelWeights w: [Float], weight: Float,
                            accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(features.hasSameShape(as: target) && gradient.hasSameShape(as: features), "ContentLoss: shape mismatch")
        precondition(w.count == features.planeSize, "ContentLoss: one pixel weight per feature pixel")
        let n = features.count, plane = features.planeSize
        if n == 0 { return 0 }
        var s = 0.0
        let scale = weight * 2 / Float(n)
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                gradient.data.withUnsafeMutableBufferPointer { g in
                    w.withUnsafeBufferPointer { wb in
                        for c in 0..<features.channels {
                            let base = c * plane
                            for j in 0..<plane {
                                let d = f[base + j] - p[base + j]
                                s += Double(wb[j]) * Double(d) * Double(d)
                                g[base + j] += scale * wb[j] * d
                            }
                        }
                    }
                }
            }
        }
        return weight * Float(s / Double(n))
    }
}
