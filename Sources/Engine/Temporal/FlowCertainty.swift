import Foundation

/// Per-pixel certainty of the backward warp ω (the weights c of the temporal loss), exactly as Ruder,
/// Dosovitskiy & Brox, "Artistic style transfer for videos" (GCPR 2016), section 3.2, following the
/// forward–backward consistency check of Sundaram, Brox & Keutzer ("Dense point trajectories by
/// GPU-accelerated large displacement optical flow", ECCV 2010).
///
/// With w the forward flow (frame t−1 → t, on frame t−1's grid), ŵ the backward flow (t → t−1, on frame
/// t's grid) and w̃(p) = w(p + ŵ(p)) the forward flow warped to frame t (bilinear), a pixel p of frame t is
///
/// - **outside** (c = 0) where p + ŵ(p) leaves the frame (or either flow is unknown there);
/// - **disoccluded** where |w̃ + ŵ|² ≥ 0.01·(|w̃|² + |ŵ|²) + 0.5 (forward and backward disagree);
/// - a **motion boundary** where |∇û|² + |∇v̂|² > 0.01·|ŵ|² + 0.002 (gradients by central differences,
///   one-sided at the border);
/// - **certain** otherwise.
///
/// The weights are 1 on certain pixels and 0 elsewhere, smoothed with a Gaussian of σ = `sigma` (0.8 by
/// default; taps outside the frame are left out and the rest renormalized), then set to exactly 0 again
/// where the warp leaves the frame.
public struct FlowCertainty: Sendable, Equatable {
    public enum PixelState: UInt8, Sendable { case certain, outside, disoccluded, motionBoundary }

    public let width: Int
    public let height: Int
    /// The classification of every pixel of frame t, row-major.
    public let states: [PixelState]
    /// The smoothed weights c ∈ [0, 1], row-major.
    public let weights: [Float]

    /// Sundaram et al.'s constants, as Ruder et al. use them.
    public static let disocclusionRelative: Float = 0.01
    public static let disocclusionAbsolute: Float = 0.5
    public static let boundaryRelative: Float = 0.01
    public static let boundaryAbsolute: Float = 0.002
    public static let defaultSigma: Float = 0.8

    /// A certainty from given states and weights (e.g. ground-truth occlusions).
    public init(width: Int, height: Int, states: [PixelState], weights: [Float]) {
        precondition(states.count == width * height && weights.count == width * height, "certainty size mismatch")
        self.width = width
        self.height = height
        self.states = states
        self.weights = weights
    }

    /// Ruder et al.'s certainty of frame t from the forward flow t−1 → t and the backward flow t → t−1.
    public static func ruder(forward: FlowField, backward: FlowField, sigma: Float = defaultSigma) throws -> FlowCertainty {
        guard forward.width == backward.width && forward.height == backward.height else {
            throw TemporalError.sizeMismatch(what: "the forward and backward flows", forward.width, forward.height,
                                             backward.width, backward.height)
        }
        let w = backward.width, h = backward.height, n = w * h
        guard n > 0 else { throw TemporalError.empty(what: "the flow") }
        var states = [PixelState](repeating: .certain, count: n)
        let maxX = Float(w - 1), maxY = Float(h - 1)
        backward.u.withUnsafeBufferPointer { bu in
            backward.v.withUnsafeBufferPointer { bv in
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        guard backward.isKnown(i) else { states[i] = .outside; continue }
                        let uh = bu[i], vh = bv[i]
                        let sx = Float(x) + uh, sy = Float(y) + vh
                        guard sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY else { states[i] = .outside; continue }
                        let (ut, vt) = Warp.sampleFlow(forward, sx, sy)
                        guard abs(ut) <= FlowField.unknownThreshold && abs(vt) <= FlowField.unknownThreshold else {
                            states[i] = .outside; continue
                        }
                        let su = ut + uh, sv = vt + vh
                        let lhs = su * su + sv * sv
                        let backwardSquared = uh * uh + vh * vh
                        if lhs >= disocclusionRelative * (ut * ut + vt * vt + backwardSquared) + disocclusionAbsolute {
                            states[i] = .disoccluded; continue
                        }
                        // Central differences of û and v̂ (one-sided at the border).
                        let xl = max(x - 1, 0), xr = min(x + 1, w - 1), yu = max(y - 1, 0), yd = min(y + 1, h - 1)
                        let dxs = Float(max(xr - xl, 1)), dys = Float(max(yd - yu, 1))
                        let uxg = (bu[y * w + xr] - bu[y * w + xl]) / dxs, uyg = (bu[yd * w + x] - bu[yu * w + x]) / dys
                        let vxg = (bv[y * w + xr] - bv[y * w + xl]) / dxs, vyg = (bv[yd * w + x] - bv[yu * w + x]) / dys
                        if uxg * uxg + uyg * uyg + vxg * vxg + vyg * vyg > boundaryRelative * backwardSquared + boundaryAbsolute {
                            states[i] = .motionBoundary
                        }
                    }
                }
            }
        }
        return fromStates(width: w, height: h, states: states, sigma: sigma)
    }

    /// Weights from a classification: 1 where certain, Gaussian-smoothed (σ = `sigma`, 0 for none), then
    /// exactly 0 where `.outside`.
    public static func fromStates(width w: Int, height h: Int, states: [PixelState], sigma: Float = defaultSigma) -> FlowCertainty {
        let binary = states.map { $0 == .certain ? Float(1) : 0 }
        var weights = sigma > 0 ? gaussianBlur(binary, width: w, height: h, sigma: sigma) : binary
        for i in 0..<weights.count where states[i] == .outside { weights[i] = 0 }
        return FlowCertainty(width: w, height: h, states: states, weights: weights)
    }

    /// Separable Gaussian blur (radius ⌈3σ⌉), taps outside the frame left out and the weights renormalized.
    static func gaussianBlur(_ input: [Float], width w: Int, height h: Int, sigma: Float) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let kernel = (-radius...radius).map { Float(Foundation.exp(-Double($0 * $0) / (2 * Double(sigma * sigma)))) }
        var tmp = [Float](repeating: 0, count: input.count), out = tmp
        input.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { t in
                for y in 0..<h {
                    for x in 0..<w {
                        var s: Float = 0, k: Float = 0
                        for d in max(-radius, -x)...min(radius, w - 1 - x) {
                            s += kernel[d + radius] * src[y * w + x + d]; k += kernel[d + radius]
                        }
                        t[y * w + x] = s / k
                    }
                }
            }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    for x in 0..<w {
                        var s: Float = 0, k: Float = 0
                        for d in max(-radius, -y)...min(radius, h - 1 - y) {
                            s += kernel[d + radius] * t[(y + d) * w + x]; k += kernel[d + radius]
                        }
                        o[y * w + x] = s / k
                    }
                }
            }
        }
        return out
    }
}
