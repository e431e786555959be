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

    /// Output rows per GEMM block: about 128 KB of output (at least 256 rows), so that a block's
    /// bias/activation pass (and, for unfolded windows, its im2col rows) stay in cache between the GEMM
    /// and the next step.
    private var blockRows: Int { max(256, (32 * 1024) / max(outChannels, geometry.kernelHeight * geometry.kernelWidth * inChannels)) }

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let g = geometry
        let pixels = g.outHeight * g.outWidth
        let k = g.kernelHeight * g.kernelWidth * inChannels
        let inStride = g.inHeight * g.inWidth * inChannels
        let outStride = pixels * outChannels
        let rowsPerBlock = blockRows
        let blocks = (pixels + rowsPerBlock - 1) / rowsPerBlock
        // Many blocks and small weights: each worker runs whole blocks with single-threaded BLAS (GEMM,
        // then bias and activation while the block is in cache). Otherwise (small maps, or weights so
        // large that repacking them for every block would dominate): one GEMM split by output channels.
        let blockwise = blocks >= 4 * EngineThreads.count && outChannels * k <= 65_536
        let workers = blockwise ? max(1, min(EngineThreads.count, blocks)) : 1
        var columns = g.isPointwise ? [] : [Float](repeating: 0, count: (blockwise ? workers * rowsPerBlock : pixels) * k)
        let oc = outChannels, t = transform
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                weights.withUnsafeBufferPointer { wb in
                    bias.withUnsafeBufferPointer { bb in
                        columns.withUnsafeMutableBufferPointer { cb in
                            let w = wb.baseAddress!, b = bb.baseAddress!
                            for n in 0..<batch {
                                let x = xb.baseAddress! + n * inStride
                                let y = yb.baseAddress! + n * outStride
                                if blockwise {
                                    BLAS.withSingleThreadedBLAS {
                                        let perWorker = (blocks + workers - 1) / workers
                                        ParallelLoop.run(workers: workers) { worker in
                                            let scratch = g.isPointwise ? nil : cb.baseAddress! + worker * rowsPerBlock * k
                                            for block in (worker * perWorker)..<min(blocks, (worker + 1) * perWorker) {
                                                let first = block * rowsPerBlock, rows = min(rowsPerBlock, pixels - first)
                                                let a: UnsafePointer<Float>
                                                if let scratch {
                                                    unfold(x, rows: first..<(first + rows), into: scratch)
                                                    a = UnsafePointer(scratch)
                                                } else {
                                                    a = UnsafePointer(x + first * k)
                                                }
                                                BLAS.sgemm(transposeB: true, m: rows, n: oc, k: k, alpha: 1, a: a, lda: k,
                                                           b: w, ldb: k, beta: 0, c: y + first * oc, ldc: oc)
                                                t.applyAddingBias(y + first * oc, rows: rows, channels: oc, bias: b)
                                            }
                                        }
                                    }
                                } else {
                                    let a: UnsafePointer<Float>
                                    if g.isPointwise {
                                        a = UnsafePointer(x)
                                    } else {
                                        ParallelLoop.forEachChunk(count: pixels, minimumChunk: 64) { rows in
                                            unfold(x, rows: rows, into: cb.baseAddress! + rows.lowerBound * k)
                                        }
                                        a = UnsafePointer(cb.baseAddress!)
                                    }
                                    // Output channels split across the workers (multiples of 16), each a
                                    // single-threaded GEMM on its slice of W followed by bias and transform:
                                    // no weights are packed twice, and OpenBLAS's own thread pool (whose idle
                                    // threads spin and take cores from the other operators) is never woken.
                                    let parts = max(1, min(EngineThreads.count, oc / 16))
                                    let slice = ((oc + parts - 1) / parts + 15) / 16 * 16
                                    BLAS.withSingleThreadedBLAS {
                                        ParallelLoop.run(workers: parts) { part in
                                            let c0 = part * slice, width = min(oc, c0 + slice) - c0
                                            guard width > 0 else { return }
                                            BLAS.sgemm(transposeB: true, m: pixels, n: width, k: k, alpha: 1, a: a, lda: k,
                                                       b: w + c0 * k, ldb: k, beta: 0, c: y + c0, ldc: oc)
                                            for row in 0..<pixels {
                                                t.applyAddingBias(y + row * oc + c0, rows: 1, channels: width, bias: b + c0)
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
    }

    /// im2col for output pixels `rows` (flat indices): row `p − rows.lowerBound` of `columns` holds the
    /// window of output pixel p, in (ky, kx, channel) order, zeros where it hangs over the padding.
    private func unfold(_ x: UnsafePointer<Float>, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let g = geometry, c = inChannels
        let k = g.kernelHeight * g.kernelWidth * c
        for p in rows {
            let oy = p / g.outWidth, ox = p % g.outWidth
            let row = columns + (p - rows.lowerBound) * k
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
