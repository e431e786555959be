/// AVERAGE_POOL_2D in NHWC: the mean over each window's pixels that lie inside the input (TFLite does
/// not count SAME padding in the divisor). DeepLab's image-level feature is one such window covering the
/// whole 65 × 65 map.
struct AveragePool2DOperator: InterpreterOperator {
    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let batch: Int
    let geometry: ConvolutionGeometry
    let channels: Int
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let g = geometry, c = channels, t = transform
        let inStride = g.inHeight * g.inWidth * c, outStride = g.outHeight * g.outWidth * c
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                for n in 0..<batch {
                    let x = xb.baseAddress! + n * inStride, y = yb.baseAddress! + n * outStride
                    ParallelLoop.forEachChunk(count: g.outHeight * g.outWidth) { pixels in
                        for p in pixels {
                            let oy = p / g.outWidth, ox = p % g.outWidth
                            let y0 = max(0, oy * g.strideY - g.padTop), y1 = min(g.inHeight, oy * g.strideY - g.padTop + g.kernelHeight)
                            let x0 = max(0, ox * g.strideX - g.padLeft), x1 = min(g.inWidth, ox * g.strideX - g.padLeft + g.kernelWidth)
                            let out = y + p * c
                            out.update(repeating: 0, count: c)
                            for iy in y0..<max(y0, y1) {
                                for ix in x0..<max(x0, x1) {
                                    let src = x + (iy * g.inWidth + ix) * c
                                    for ch in 0..<c { out[ch] += src[ch] }
                                }
                            }
                            let count = max(1, (y1 - y0) * (x1 - x0))
                            let scale = 1 / Float(count)
                            for ch in 0..<c { out[ch] *= scale }
                            t.apply(out, count: c)
                        }
                    }
                }
            }
        }
    }
}
