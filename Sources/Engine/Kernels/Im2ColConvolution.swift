/// 3×3, stride-1, pad-1 convolution as im2col + one `sgemm` per band of output rows:
/// y[:, band] = W (Cout × 9·Cin) · col (9·Cin × band pixels), OpenBLAS using all engine threads.
///
/// Direct-convolution flop count, so this is the baseline the Winograd path is measured against
/// and a fallback for layers where Winograd's transforms dominate. The column buffer is limited
/// to about `columnBufferFloats` floats (default 4 Mi = 16 MB) by processing row bands.
public struct Im2ColConvolution: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// OIHW weights = a row-major Cout × (Cin·9) matrix.
    public let weights: [Float]
    public var columnBufferFloats = 4 << 20

    public init(weights: [Float], inChannels: Int, outChannels: Int) {
        precondition(weights.count == outChannels * inChannels * 9)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.weights = weights
    }

    /// The convolution computing the input gradient of `self` (weights rotated 180°, channels swapped).
    public func transposed() -> Im2ColConvolution {
        var w = [Float](repeating: 0, count: weights.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for k in 0..<9 { w[(i * outChannels + o) * 9 + (8 - k)] = weights[(o * inChannels + i) * 9 + k] }
            }
        }
        return Im2ColConvolution(weights: w, inChannels: outChannels, outChannels: inChannels)
    }

    /// y = conv(x) + bias (empty = none), ReLU if `relu`; `y` reshaped and overwritten.
    public func apply(_ x: Tensor, bias: [Float], relu: Bool, into y: inout Tensor) {
        precondition(x.channels == inChannels && (bias.isEmpty || bias.count == outChannels))
        let h = x.height, w = x.width, cin = inChannels, cout = outChannels
        y.reshapeReusingStorage(channels: cout, height: h, width: w)
        if h == 0 || w == 0 || cout == 0 { return }
        let k = cin * 9
        let bandRows = max(1, min(h, columnBufferFloats / max(1, k * w)))
        var col = [Float](repeating: 0, count: k * bandRows * w)
        x.data.withUnsafeBufferPointer { xb in
            y.data.withUnsafeMutableBufferPointer { yb in
                weights.withUnsafeBufferPointer { wb in
                    col.withUnsafeMutableBufferPointer { cb in
                        let xp = xb.baseAddress!, yp = yb.baseAddress!, cp = cb.baseAddress!
                        var y0 = 0
                        while y0 < h {
                            let rows = min(bandRows, h - y0)
                            let n = rows * w
                            ParallelLoop.forEachChunk(count: k) { range in
                                for row in range {
                                    let i = row / 9, ky = (row % 9) / 3, kx = row % 3
                                    let dst = cp + row * n
                                    for r in 0..<rows {
                                        let sy = y0 + r + ky - 1
                                        let d = dst + r * w
                                        if sy < 0 || sy >= h { d.update(repeating: 0, count: w); continue }
                                        let src = xp + (i * h + sy) * w
                                        for xx in 0..<w {
                                            let sx = xx + kx - 1
                                            d[xx] = (sx >= 0 && sx < w) ? src[sx] : 0
                                        }
                                    }
                                }
                            }
                            BLAS.sgemm(m: cout, n: n, k: k, alpha: 1, a: wb.baseAddress!, lda: k,
                                       b: cp, ldb: n, beta: 0, c: yp + y0 * w, ldc: h * w)
                            y0 += rows
                        }
                        ParallelLoop.forEachChunk(count: cout) { range in
                            for o in range {
                                let p = yp + o * h * w
                                let b = bias.isEmpty ? 0 : bias[o]
                                for j in 0..<(h * w) {
                                    let v = p[j] + b
                                    p[j] = relu ? max(v, 0) : v
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
