/// Short-term temporal loss of Ruder, Dosovitskiy & Brox ("Artistic style transfer for videos", GCPR
/// 2016, eq. 6–7):
///
///   L_temporal(x) = γ·(1/D)·Σ_{k,p} c_p·(x[k,p] − ω(x_prev)[k,p])²,   D = C·H·W (3·H·W for an image),
///
/// with ω(x_prev) the previous frame's result warped into this frame (`Warp.backward`) and c the per-pixel
/// certainty (`FlowCertainty`), shared by the channels. Gradient: 2γ·c_p·(x − ω)/D.
///
/// **γ in this engine's units.** Ruder et al. use γ = 1e3 for a single pass (their `-temporal_weight`),
/// with content weight α = 5 (neural-style's default), on the VGG input: BGR 0–255 minus the ImageNet mean.
/// Their content loss is neural-style's `nn.MSECriterion`, i.e. a *mean* over the C·H·W feature values,
/// and the temporal term divides by D — both exactly as here (`StyleObjective`: E_content is
/// (1/(C·H·W))·‖F − P‖², and this kernel runs on the same 0–255 mean-subtracted tensor). So the temporal
/// term has the same units in both codes, and keeping Ruder's balance between temporal and content terms
/// gives γ = (1e3 / 5)·α = 200·α (`defaultWeight(contentWeight:)`; 200 with this engine's α = 1).
/// Were x an RGB image in [0, 1] instead, the same γ would be 255² times smaller in effect. (The style
/// terms are normalised differently from neural-style's — Gram by H·W, not C·H·W — which is why the
/// anchor is the content term, whose normalisation matches.)
public enum TemporalLoss {
    /// Ruder et al.'s single-pass γ (1e3) relative to their content weight (5).
    public static let ruderRatioToContent: Float = 1e3 / 5

    /// γ matching Ruder et al.'s temporal/content balance for a content weight α: 200·α.
    public static func defaultWeight(contentWeight: Float) -> Float { ruderRatioToContent * contentWeight }

    /// The loss value only.
    public static func loss(_ image: Tensor, warped: Tensor, certainty: [Float], weight: Float) -> Float {
        precondition(image.hasSameShape(as: warped), "TemporalLoss: shape mismatch")
        precondition(certainty.count == image.planeSize, "TemporalLoss: one certainty per pixel")
        return image.data.withUnsafeBufferPointer { x in
            warped.data.withUnsafeBufferPointer { t in
                certainty.withUnsafeBufferPointer { c in
                    evaluate(x, t, c, channels: image.channels, plane: image.planeSize, weight: weight, gradient: nil)
                }
            }
        }
    }

    /// As `loss`, and ADDS 2γ·c_p·(x − ω)/D to `gradient`.
    public static func loss(_ image: Tensor, warped: Tensor, certainty: [Float], weight: Float,
                            accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(image.hasSameShape(as: warped) && gradient.hasSameShape(as: image), "TemporalLoss: shape mismatch")
        precondition(certainty.count == image.planeSize, "TemporalLoss: one certainty per pixel")
        return image.data.withUnsafeBufferPointer { x in
            warped.data.withUnsafeBufferPointer { t in
                certainty.withUnsafeBufferPointer { c in
                    gradient.data.withUnsafeMutableBufferPointer { g in
                        evaluate(x, t, c, channels: image.channels, plane: image.planeSize, weight: weight,
                                 gradient: g.baseAddress)
                    }
                }
            }
        }
    }

    private static func evaluate(_ x: UnsafeBufferPointer<Float>, _ t: UnsafeBufferPointer<Float>,
                                 _ c: UnsafeBufferPointer<Float>, channels: Int, plane: Int, weight: Float,
                                 gradient g: UnsafeMutablePointer<Float>?) -> Float {
        let n = channels * plane
        if n == 0 { return 0 }
        let scale = weight * 2 / Float(n)
        var s = 0.0
        for k in 0..<channels {
            let base = k * plane
            for p in 0..<plane {
                let d = x[base + p] - t[base + p]
                s += Double(c[p]) * Double(d) * Double(d)
                if let g { g[base + p] += scale * c[p] * d }
            }
        }
        return weight * Float(s / Double(n))
    }
}
