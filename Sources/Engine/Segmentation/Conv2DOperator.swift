/// CONV_2D in NHWC as one GEMM per image: `out[P, O] = columns[P, K] · W[O, K]ᵀ`, then bias and the
/// output transform in one pass. P = output pixels, O = output channels, K = kH · kW · inChannels.
///
/// TFLite stores filters OHWI, so each output channel's row of `W` is already in (ky, kx, inChannel)
/// order. A pointwise (1×1, stride 1) convolution uses the NHWC input itself as `columns`; any other
/// window is first unfolded (im2col) into `columns` with zeros for the padding.
struct Conv2DOperator: InterpreterOperator {
    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let batch: Int
    let geometry: ConvolutionGeometry
    let inChannels: Int
    let outChannels: Int
    /// `[outChannels, kH · kW · inChannels]`.
    let weights: [Float]
    let bias: [Float]
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let g = geometry
        let pixels = g.outHeight * g.outWidth
        let k = g.kernelHeight * g.kernelWidth * inChannels
        let inStride = g.inHeight * g.inWidth * inChannels
        let outStride = pixels * outChannels
        var columns = g.isPointwise ? [] : [Float](repeating: 0, count: pixels * k)
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                weights.withUnsafeBufferPointer { wb in
                    bias.withUnsafeBufferPointer { bb in
                        columns.withUnsafeMutableBufferPointer { cb in
                            for n in 0..<batch {
                                let x = xb.baseAddress! + n * inStride
                                let y = yb.baseAddress! + n * outStride
                                let a: UnsafePointer<Float>
                                if g.isPointwise {
                                    a = UnsafePointer(x)
                                } else {
                                    unfold(x, into: cb.baseAddress!)
                                    a = UnsafePointer(cb.baseAddress!)
                                }
                                BLAS.sgemm(transposeB: true, m: pixels, n: outChannels, k: k,
                                           alpha: 1, a: a, lda: k, b: wb.baseAddress!, ldb: k,
                                           beta: 0, c: y, ldc: outChannels)
                                let b = bb.baseAddress!, t = transform, oc = outChannels
                                ParallelLoop.forEachChunk(count: pixels, minimumChunk: 256) { rows in
                                    t.applyAddingBias(y + rows.lowerBound * oc, rows: rows.count, channels: oc, bias: b)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// im2col: row `p` of `columns` holds the window of output pixel `p`, in (ky, kx, channel) order.
    private func unfold(_ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let g = geometry, c = inChannels
        let k = g.kernelHeight * g.kernelWidth * c
        ParallelLoop.forEachChunk(count: g.outHeight) { rows in
            for oy in rows {
                for ox in 0..<g.outWidth {
                    let row = columns + (oy * g.outWidth + ox) * k
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                        for kx in 0..<g.kernelWidth {
                            let ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                            let dst = row + (ky * g.kernelWidth + kx) * c
                            if iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth {
                                dst.update(repeating: 0, count: c)
                            } else {
                                dst.update(from: x + (iy * g.inWidth + ix) * c, count: c)
                            }
                        }
                    }
                }
            }
        }
    }
}
