import Foundation

/// Per-element operators: copies that only change the shape or the (emulated) quantization (RESHAPE,
/// QUANTIZE, DEQUANTIZE) and activations (RELU, RELU6, LOGISTIC, HARD_SWISH).
struct UnaryOperator: InterpreterOperator {
    enum Function: Sendable {
        /// y = x (RESHAPE, QUANTIZE, DEQUANTIZE in float execution).
        case identity
        /// y = 1 / (1 + e^−x).
        case logistic
        /// y = x · relu6(x + 3) / 6.
        case hardSwish
    }

    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let function: Function
    /// RELU/RELU6 are `identity` with a clamping transform.
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let f = function, t = transform
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                let x = xb.baseAddress!, y = yb.baseAddress!
                ParallelLoop.forEachChunk(count: yb.count, minimumChunk: 4096) { r in
                    let xs = x + r.lowerBound, ys = y + r.lowerBound
                    switch f {
                    case .identity: ys.update(from: xs, count: r.count)
                    case .logistic: for i in 0..<r.count { ys[i] = 1 / (1 + expf(-xs[i])) }
                    case .hardSwish: for i in 0..<r.count { ys[i] = xs[i] * min(max(xs[i] + 3, 0), 6) / 6 }
                    }
                    t.apply(ys, count: r.count)
                }
            }
        }
    }
}
