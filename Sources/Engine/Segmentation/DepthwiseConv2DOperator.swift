/// DEPTHWISE_CONV_2D in NHWC: output channel `c · m + j` (m = depth multiplier) is input channel c
/// correlated with its own kH × kW filter, with stride, dilation and SAME/VALID padding.
///
/// Row by row: each output row starts as the bias vectors, then every tap adds, for the range of output
/// columns whose input lies inside (computed once per tap, so the inner loops have no bounds checks), the
/// input pixel's channel vector times the tap's weight vector: contiguous channel loops that the compiler
/// vectorizes, over a row that stays in cache. Output rows are split across `EngineThreads`.
struct DepthwiseConv2DOperator: InterpreterOperator {
    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let batch: Int
    let geometry: ConvolutionGeometry
    let inChannels: Int
    let multiplier: Int
    /// `[kH, kW, inChannels · multiplier]` (TFLite's `[1, kH, kW, C·m]` without the leading 1).
    let weights: [Float]
    let bias: [Float]
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let g = geometry, cin = inChannels, m = multiplier, cout = inChannels * multiplier
        let inStride = g.inHeight * g.inWidth * cin, outStride = g.outHeight * g.outWidth * cout
        let t = transform
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                weights.withUnsafeBufferPointer { wb in
                    bias.withUnsafeBufferPointer { bb in
                        let w = wb.baseAddress!, b = bb.baseAddress!
                        for n in 0..<batch {
                            let x = xb.baseAddress! + n * inStride, y = yb.baseAddress! + n * outStride
                            ParallelLoop.forEachChunk(count: g.outHeight) { rows in
                                for oy in rows {
                                    let row = y + oy * g.outWidth * cout
                                    for ox in 0..<g.outWidth { (row + ox * cout).update(from: b, count: cout) }
                                    for ky in 0..<g.kernelHeight {
                                        let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                                        if iy < 0 || iy >= g.inHeight { continue }
                                        let inRow = x + iy * g.inWidth * cin
                                        for kx in 0..<g.kernelWidth {
                                            // Output columns whose input column ox·s − pad + kx·d lies inside.
                                            let shift = kx * g.dilationX - g.padLeft
                                            if g.inWidth - 1 - shift < 0 { continue }
                                            let first = shift >= 0 ? 0 : (-shift + g.strideX - 1) / g.strideX
                                            let last = min(g.outWidth - 1, (g.inWidth - 1 - shift) / g.strideX)
                                            if first > last { continue }
                                            let tap = w + (ky * g.kernelWidth + kx) * cout
                                            for ox in first...last {
                                                let src = inRow + (ox * g.strideX + shift) * cin
                                                let out = row + ox * cout
                                                if m == 1 {
                                                    for c in 0..<cout { out[c] += src[c] * tap[c] }
                                                } else {
                                                    for c in 0..<cin {
                                                        let v = src[c]
                                                        for j in 0..<m { out[c * m + j] += v * tap[c * m + j] }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                    t.apply(row, count: g.outWidth * cout)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
