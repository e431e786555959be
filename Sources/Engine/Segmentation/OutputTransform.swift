/// What happens to every value an operator writes: the fused activation as a clamp to `[lower, upper]`
/// (RELU = [0, ∞), RELU6 = [0, 6], RELU_N1_TO_1 = [−1, 1], none = (−∞, ∞)), and, when the interpreter
/// emulates the quantized graph's activations, rounding to the output tensor's quantization grid.
///
/// Emulation: a uint8 tensor with scale s and zero point z holds `s · (q − z)` for q in 0…255, so its
/// values lie in `[s · (0 − z), s · (255 − z)]` and are multiples of s. Clamping to that range (intersected
/// with the activation's) and rounding `v / s` reproduces the reference interpreter's activation values up
/// to its fixed-point rounding; `round(v / s + z) − z = round(v / s)` since z is an integer.
///
/// Rounding uses `(x + 1.5·2²³) − 1.5·2²³`, which rounds to nearest-even for |x| < 2²² (clamped grid
/// indices are at most 2¹⁵) and, unlike `rounded()`, vectorizes on baseline x86-64 (no SSE4.1 `roundps`).
struct OutputTransform: Sendable {
    var lower: Float = -.infinity
    var upper: Float = .infinity
    /// The quantization step to round to, or 0 for no rounding.
    var step: Float = 0

    static let identity = OutputTransform()

    var isIdentity: Bool { lower == -.infinity && upper == .infinity && step == 0 }

    /// The clamp of a fused activation code (schema `ActivationFunctionType`); nil for TANH/SIGN_BIT.
    static func fusedActivation(_ code: Int) -> OutputTransform? {
        switch code {
        case 0: return OutputTransform()
        case 1: return OutputTransform(lower: 0)
        case 2: return OutputTransform(lower: -1, upper: 1)
        case 3: return OutputTransform(lower: 0, upper: 6)
        default: return nil
        }
    }

    /// This transform additionally restricted to the range and grid of a quantized output tensor.
    func quantized(by tensor: TFLiteTensor) -> OutputTransform {
        guard let q = tensor.quantization, q.scale.count == 1, q.scale[0] > 0 else { return self }
        let (qmin, qmax): (Float, Float)
        switch tensor.type {
        case .uint8: (qmin, qmax) = (0, 255)
        case .int8: (qmin, qmax) = (-128, 127)
        case .int16: (qmin, qmax) = (-32768, 32767)
        default: return self
        }
        let s = q.scale[0], z = Float(q.zeroPoint[0])
        return OutputTransform(lower: max(lower, s * (qmin - z)), upper: min(upper, s * (qmax - z)), step: s)
    }

    /// 1.5 · 2²³: adding and subtracting it leaves x rounded to an integer (ties to even).
    @usableFromInline static let roundingMagic: Float = 12_582_912

    /// Applies the transform to `count` values in place.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if isIdentity { return }
        let lo = lower, hi = upper
        if step > 0 {
            let s = step, inv = 1 / step, magic = OutputTransform.roundingMagic
            for i in 0..<count { p[i] = ((min(max(p[i], lo), hi) * inv + magic) - magic) * s }
        } else {
            for i in 0..<count { p[i] = min(max(p[i], lo), hi) }
        }
    }

    /// The transform of eight values (the same operations as `apply(_:count:)` lane by lane).
    @inline(__always)
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        var r = v.replacing(with: lo, where: v .< lo)
        r = r.replacing(with: hi, where: r .> hi)
        if step > 0 {
            let magic = SIMD8<Float>(repeating: OutputTransform.roundingMagic)
            r = ((r * (1 / step) + magic) - magic) * step
        }
        return r
    }

    /// Adds `bias` (length `channels`) to each of `rows` rows of `channels` values, then applies the
    /// transform; one pass over the data.
    @inline(__always)
    func applyAddingBias(_ p: UnsafeMutablePointer<Float>, rows: Int, channels: Int, bias: UnsafePointer<Float>) {
        let lo = lower, hi = upper
        if step > 0 {
            let s = step, inv = 1 / step, magic = OutputTransform.roundingMagic
            for r in 0..<rows {
                let row = p + r * channels
                for c in 0..<channels { row[c] = ((min(max(row[c] + bias[c], lo), hi) * inv + magic) - magic) * s }
            }
        } else {
            for r in 0..<rows {
                let row = p + r * channels
                for c in 0..<channels { row[c] = min(max(row[c] + bias[c], lo), hi) }
            }
        }
    }
}
