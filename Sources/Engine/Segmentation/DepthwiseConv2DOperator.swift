/// DEPTHWISE_CONV_2D in NHWC: output channel `c · m + j` (m = depth multiplier) is input channel c
/// correlated with its own kH × kW filter, with stride, dilation and SAME/VALID padding.
///
/// Each output pixel starts as the bias vector and accumulates, tap by tap, the input pixel's channel
/// vector times the tap's weight vector: contiguous channel loops that the compiler vectorizes. Output
/// rows are split across `EngineThreads`.
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
                                    for ox in 0..<g.outWidth {
                                        let out = y + (oy * g.outWidth + ox) * cout
                                        out.update(from: b, count: cout)
                                        for ky in 0..<g.kernelHeight {
                                            let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                                            if iy < 0 || iy >= g.inHeight { continue }
                                            for kx in 0..<g.kernelWidth {
                                                let ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                                                if ix < 0 || ix >= g.inWidth { continue }
                                                let src = x + (iy * g.inWidth + ix) * cin
                                                let tap = w + (ky * g.kernelWidth + kx) * cout
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
                                        t.apply(out, count: cout)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
