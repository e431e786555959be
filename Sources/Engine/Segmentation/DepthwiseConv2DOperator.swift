/// DEPTHWISE_CONV_2D in NHWC: output channel `c · m + j` (m = depth multiplier) is input channel c
/// correlated with its own kH × kW filter, with stride, dilation and SAME/VALID padding.
///
/// With a depth multiplier of 1 and a multiple of 8 channels (all of MobileNetV2-DeepLab) `vectorRow`
/// keeps each output pixel's channel block in registers over all taps. Otherwise, row by row: each
/// output row starts as the bias vectors, then every tap adds, for the range of output
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
                            if m == 1 && cout % 8 == 0 {
                                ParallelLoop.forEachChunk(count: g.outHeight) { rows in
                                    for oy in rows { vectorRow(oy, x: x, y: y, w: w, b: b) }
                                }
                                continue
                            }
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

    /// Output row `oy` for a depth multiplier of 1 and a multiple of 8 channels: per output pixel and
    /// block of 16 (then 8) channels, the bias plus every tap inside the input (in the order ky, kx, as
    /// the general loop adds them) accumulates in registers, and the transform is applied before the
    /// single store, instead of reading and writing the output row once per tap.
    @inline(__always)
    private func vectorRow(_ oy: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           w: UnsafePointer<Float>, b: UnsafePointer<Float>) {
        let g = geometry, c = inChannels, t = transform
        let xr = UnsafeRawPointer(x), wr = UnsafeRawPointer(w), br = UnsafeRawPointer(b)
        // Taps whose input row lies inside.
        let iy0 = oy * g.strideY - g.padTop
        let kyLo = iy0 >= 0 ? 0 : (-iy0 + g.dilationY - 1) / g.dilationY
        let kyHi = iy0 > g.inHeight - 1 ? 0 : min(g.kernelHeight, (g.inHeight - 1 - iy0) / g.dilationY + 1)
        let rowOut = UnsafeMutableRawPointer(y + oy * g.outWidth * c)
        if kyLo >= kyHi { // the whole row sees only padding: bias
            for ox in 0..<g.outWidth {
                var cb = 0
                while cb < c {
                    rowOut.storeBytes(of: t.apply(br.loadUnaligned(fromByteOffset: cb * 4, as: SIMD8<Float>.self)),
                                      toByteOffset: (ox * c + cb) * 4, as: SIMD8<Float>.self)
                    cb += 8
                }
            }
            return
        }
        // Byte steps between taps: along a kernel row (input and weights) and from one kernel row to the next.
        let srcStepX = g.dilationX * c * 4, srcStepY = g.dilationY * g.inWidth * c * 4
        let tapStepX = c * 4, tapStepY = g.kernelWidth * c * 4
        let rows = kyHi - kyLo
        for ox in 0..<g.outWidth {
            let ix0 = ox * g.strideX - g.padLeft
            let kxLo = ix0 >= 0 ? 0 : (-ix0 + g.dilationX - 1) / g.dilationX
            let kxHi = ix0 > g.inWidth - 1 ? 0 : min(g.kernelWidth, (g.inWidth - 1 - ix0) / g.dilationX + 1)
            let columns = max(0, kxHi - kxLo)
            let out = rowOut + ox * c * 4
            // The first tap inside: input pixel (iy0 + kyLo·dy, ix0 + kxLo·dx), weight (kyLo, kxLo).
            let src0 = xr + (((iy0 + kyLo * g.dilationY) * g.inWidth + ix0 + kxLo * g.dilationX) * c) * 4
            let tap0 = wr + ((kyLo * g.kernelWidth + kxLo) * c) * 4
            var cb = 0
            while cb + 16 <= c {
                var a0 = br.loadUnaligned(fromByteOffset: cb * 4, as: SIMD8<Float>.self)
                var a1 = br.loadUnaligned(fromByteOffset: cb * 4 + 32, as: SIMD8<Float>.self)
                var srcRow = src0 + cb * 4, tapRow = tap0 + cb * 4
                for _ in 0..<rows {
                    var s = srcRow, k = tapRow
                    for _ in 0..<columns {
                        a0 += s.loadUnaligned(as: SIMD8<Float>.self) * k.loadUnaligned(as: SIMD8<Float>.self)
                        a1 += s.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                            * k.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        s += srcStepX; k += tapStepX
                    }
                    srcRow += srcStepY; tapRow += tapStepY
                }
                out.storeBytes(of: t.apply(a0), toByteOffset: cb * 4, as: SIMD8<Float>.self)
                out.storeBytes(of: t.apply(a1), toByteOffset: cb * 4 + 32, as: SIMD8<Float>.self)
                cb += 16
            }
            while cb < c {
                var a0 = br.loadUnaligned(fromByteOffset: cb * 4, as: SIMD8<Float>.self)
                var srcRow = src0 + cb * 4, tapRow = tap0 + cb * 4
                for _ in 0..<rows {
                    var s = srcRow, k = tapRow
                    for _ in 0..<columns {
                        a0 += s.loadUnaligned(as: SIMD8<Float>.self) * k.loadUnaligned(as: SIMD8<Float>.self)
                        s += srcStepX; k += tapStepX
                    }
                    srcRow += srcStepY; tapRow += tapStepY
                }
                out.storeBytes(of: t.apply(a0), toByteOffset: cb * 4, as: SIMD8<Float>.self)
                cb += 8
            }
        }
    }
}
