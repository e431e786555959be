/// A 3×3, stride-1, pad-1 cross-correlation y[o] = Σ_i x[i] ⋆ k[o][i] (+ bias, optional ReLU)
/// evaluated with Winograd F(4×4, 3×3) (see `WinogradF43`).
///
/// The image is cut into 4×4 output tiles; rows of tiles are grouped into blocks of about
/// `tilesPerBlock` tiles. Each block is handled start to finish by one worker: input transform of
/// all channels into V (36 × Cin × tiles), 36 single-threaded `sgemm`s M_ξ = U_ξ · V_ξ, inverse
/// transform with bias/ReLU straight into the output. Blocks are dealt round-robin to
/// `EngineThreads.count` workers (fixed partitioning, so results are deterministic), and the
/// transformed input is never materialized for the whole image (per-worker scratch is
/// 36 · (Cin + Cout) · tiles floats, e.g. 19 MB for 512 → 512 channels at 128 tiles).
///
/// Accuracy: the transforms amplify float32 rounding by a small constant (entries up to 8 in Aᵀ,
/// 5 in Bᵀ); measured max error vs a double-precision reference is about 1e-5…1e-4 relative to the
/// output magnitude for Cin = 64…512 (see the tests).
struct WinogradConvolution {
    let inChannels: Int
    let outChannels: Int
    /// U, laid out `[ξ][outChannels][inChannels]`.
    let transformedKernels: [Float]
    /// Target GEMM width (tiles per block).
    var tilesPerBlock: Int = 256

    /// `kernel(o, i, ky, kx)` is the tap multiplying input channel `i` at offset (ky−1, kx−1) for
    /// output channel `o`.
    init(inChannels: Int, outChannels: Int, kernel: (_ o: Int, _ i: Int, _ ky: Int, _ kx: Int) -> Float) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.transformedKernels = WinogradF43.transformKernels(rows: outChannels, columns: inChannels, kernel: kernel)
    }

    /// y = conv(x ⊙ 1[mask > 0]) + bias (empty `bias` = none), then ReLU if `relu`. The optional
    /// `mask` (same shape as x) fuses a ReLU backward into the input transform.
    func apply(_ x: Tensor, mask: Tensor? = nil, bias: [Float], relu: Bool, into y: inout Tensor) {
        precondition(x.channels == inChannels, "Winograd convolution: input has \(x.channels) channels, expected \(inChannels)")
        precondition(mask == nil || mask!.hasSameShape(as: x), "Winograd convolution: mask shape mismatch")
        precondition(bias.isEmpty || bias.count == outChannels, "Winograd convolution: bias count mismatch")
        let height = x.height, width = x.width, cin = inChannels, cout = outChannels
        y.reshapeReusingStorage(channels: cout, height: height, width: width)
        if height == 0 || width == 0 || cout == 0 { return }
        if cin == 0 {
            y.data.withUnsafeMutableBufferPointer { yb in
                for o in 0..<cout {
                    var b = bias.isEmpty ? 0 : bias[o]
                    if relu { b = max(b, 0) }
                    (yb.baseAddress! + o * height * width).update(repeating: b, count: height * width)
                }
            }
            return
        }
        let tilesH = (height + 3) / 4, tilesW = (width + 3) / 4
        let rowStride = (tilesW + 3) & ~3                 // tile columns padded to the SIMD width
        let threads = EngineThreads.count
        var rowsPerBlock = max(1, min(tilesPerBlock / rowStride, (tilesH + threads - 1) / threads))
        var blocks = (tilesH + rowsPerBlock - 1) / rowsPerBlock
        if blocks > threads && blocks % threads != 0 {    // even out the round-robin deal
            let balanced = (blocks + threads - 1) / threads * threads
            rowsPerBlock = (tilesH + balanced - 1) / balanced
            blocks = (tilesH + rowsPerBlock - 1) / rowsPerBlock
        }
        let workers = min(threads, blocks)
        let blockTiles = rowsPerBlock * rowStride
        let phaseLength = rowStride + 4

        let maskData = mask?.data ?? []
        x.data.withUnsafeBufferPointer { xb in
          maskData.withUnsafeBufferPointer { mb in
            y.data.withUnsafeMutableBufferPointer { yb in
                transformedKernels.withUnsafeBufferPointer { ub in
                    let xp = xb.baseAddress!, yp = yb.baseAddress!, up = ub.baseAddress!
                    let mp = mb.isEmpty ? nil : mb.baseAddress
                    BLAS.withSingleThreadedBLAS {
                        ParallelLoop.run(workers: workers) { worker in
                            let v = UnsafeMutablePointer<Float>.allocate(capacity: 36 * cin * blockTiles)
                            let m = UnsafeMutablePointer<Float>.allocate(capacity: 36 * cout * blockTiles)
                            let rowScratch = UnsafeMutablePointer<Float>.allocate(capacity: 12 * 4 * phaseLength)
                            let tileScratch = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: 40)
                            defer {
                                v.deallocate(); m.deallocate(); rowScratch.deallocate(); tileScratch.deallocate()
                            }
                            var block = worker
                            while block < blocks {
                                let tileRows = (block * rowsPerBlock)..<min(tilesH, (block + 1) * rowsPerBlock)
                                let n = tileRows.count * rowStride
                                for c in 0..<cin {
                                    Self.transformInput(plane: xp + c * height * width, mask: mp.map { $0 + c * height * width },
                                                        height: height, width: width,
                                                        tileRows: tileRows, rowStride: rowStride, phaseLength: phaseLength,
                                                        scratch: rowScratch,
                                                        destination: v + c * blockTiles, positionStride: cin * blockTiles)
                                }
                                for xi in 0..<36 {
                                    BLAS.sgemm(m: cout, n: n, k: cin,
                                               alpha: 1, a: up + xi * cout * cin, lda: cin,
                                               b: v + xi * cin * blockTiles, ldb: blockTiles,
                                               beta: 0, c: m + xi * cout * blockTiles, ldc: blockTiles)
                                }
                                for o in 0..<cout {
                                    Self.transformOutput(source: m + o * blockTiles, positionStride: cout * blockTiles,
                                                         plane: yp + o * height * width, height: height, width: width,
                                                         tileRows: tileRows, tilesW: tilesW, rowStride: rowStride,
                                                         bias: bias.isEmpty ? 0 : bias[o], relu: relu,
                                                         scratch: tileScratch)
                                }
                                block += workers
                            }
                        }
                    }
                }
            }
          }
        }
    }

    /// Bᵀ d B for every tile of `tileRows` of one channel plane, written to
    /// `destination[ξ · positionStride + (row − first row) · rowStride + tile column]`.
    ///
    /// Each group of six input rows is first de-interleaved by column modulo 4 (padded column
    /// q = x + 1 goes to phase q mod 4, index q / 4), so that column j of tiles t…t+3 is one
    /// contiguous SIMD4 load; both passes of the transform then run four tiles per vector.
    private static func transformInput(plane: UnsafePointer<Float>, mask: UnsafePointer<Float>?, height: Int, width: Int,
                                       tileRows: Range<Int>, rowStride: Int, phaseLength: Int,
                                       scratch: UnsafeMutablePointer<Float>,
                                       destination v: UnsafeMutablePointer<Float>, positionStride: Int) {
        let rowFloats = 4 * phaseLength
        let d = scratch
        let r = scratch + 6 * rowFloats
        let L = phaseLength
        for tileRow in tileRows {
            for k in 0..<6 {
                let dk = d + k * rowFloats
                let yy = 4 * tileRow - 1 + k
                if yy < 0 || yy >= height {
                    dk.update(repeating: 0, count: rowFloats)
                    continue
                }
                let src = plane + yy * width
                if let mask {
                    deinterleaveRow(src, mask: mask + yy * width, width: width, into: dk, phaseLength: L)
                    continue
                }
                // Groups of four m (16 columns) fully inside the row: four loads, a 4×4 transpose,
                // four stores. Everything else (padding, ragged edges) element by element.
                let fastEnd = min(L, (width + 1) / 4)     // groups with 4m + 14 ≤ width − 1
                var m = 0
                while m < 4 && m < L { deinterleaveScalar(src, width: width, m: m, into: dk, phaseLength: L); m += 1 }
                while m + 4 <= fastEnd {
                    let a0 = load(src + 4 * m - 1), a1 = load(src + 4 * m + 3)
                    let a2 = load(src + 4 * m + 7), a3 = load(src + 4 * m + 11)
                    store(SIMD4(a0[0], a1[0], a2[0], a3[0]), dk + m)
                    store(SIMD4(a0[1], a1[1], a2[1], a3[1]), dk + L + m)
                    store(SIMD4(a0[2], a1[2], a2[2], a3[2]), dk + 2 * L + m)
                    store(SIMD4(a0[3], a1[3], a2[3], a3[3]), dk + 3 * L + m)
                    m += 4
                }
                while m < L { deinterleaveScalar(src, width: width, m: m, into: dk, phaseLength: L); m += 1 }
            }
            var i = 0
            while i < rowFloats {
                let (r0, r1, r2, r3, r4, r5) = WinogradF43.inputTransform(
                    load(d + i), load(d + rowFloats + i), load(d + 2 * rowFloats + i),
                    load(d + 3 * rowFloats + i), load(d + 4 * rowFloats + i), load(d + 5 * rowFloats + i))
                store(r0, r + i); store(r1, r + rowFloats + i); store(r2, r + 2 * rowFloats + i)
                store(r3, r + 3 * rowFloats + i); store(r4, r + 4 * rowFloats + i); store(r5, r + 5 * rowFloats + i)
                i += 4
            }
            let tileBase = (tileRow - tileRows.lowerBound) * rowStride
            for a in 0..<6 {
                let ra = r + a * rowFloats
                let out = v + a * 6 * positionStride + tileBase
                var tx = 0
                while tx < rowStride {
                    let (t0, t1, t2, t3, t4, t5) = WinogradF43.inputTransform(
                        load(ra + tx), load(ra + L + tx), load(ra + 2 * L + tx),
                        load(ra + 3 * L + tx), load(ra + tx + 1), load(ra + L + tx + 1))
                    store(t0, out + tx); store(t1, out + positionStride + tx)
                    store(t2, out + 2 * positionStride + tx); store(t3, out + 3 * positionStride + tx)
                    store(t4, out + 4 * positionStride + tx); store(t5, out + 5 * positionStride + tx)
                    tx += 4
                }
            }
        }
    }

    /// Aᵀ M A (+ bias, ReLU) for every tile of `tileRows` of one output channel, four tiles per
    /// vector, scattered into the output plane (edge tiles clipped).
    private static func transformOutput(source mp: UnsafePointer<Float>, positionStride: Int,
                                        plane out: UnsafeMutablePointer<Float>, height: Int, width: Int,
                                        tileRows: Range<Int>, tilesW: Int, rowStride: Int,
                                        bias: Float, relu: Bool,
                                        scratch t: UnsafeMutablePointer<SIMD4<Float>>) {
        let biasVector = SIMD4<Float>(repeating: bias)
        for tileRow in tileRows {
            let tileBase = (tileRow - tileRows.lowerBound) * rowStride
            let y0 = 4 * tileRow
            let rowsValid = min(4, height - y0)
            var tx = 0
            while tx < tilesW {
                let base = mp + tileBase + tx
                for a in 0..<6 {
                    let row = base + a * 6 * positionStride
                    let (s0, s1, s2, s3) = WinogradF43.outputTransform(
                        load(row), load(row + positionStride), load(row + 2 * positionStride),
                        load(row + 3 * positionStride), load(row + 4 * positionStride), load(row + 5 * positionStride))
                    t[a * 4] = s0; t[a * 4 + 1] = s1; t[a * 4 + 2] = s2; t[a * 4 + 3] = s3
                }
                let interior = rowsValid == 4 && 4 * (tx + 4) <= width
                let res = t + 24                                  // res[4·s + r]: output row r, column s
                for s in 0..<4 {
                    var (o0, o1, o2, o3) = WinogradF43.outputTransform(t[s], t[4 + s], t[8 + s], t[12 + s], t[16 + s], t[20 + s])
                    o0 += biasVector; o1 += biasVector; o2 += biasVector; o3 += biasVector
                    if relu {
                        o0.replace(with: 0, where: o0 .< 0); o1.replace(with: 0, where: o1 .< 0)
                        o2.replace(with: 0, where: o2 .< 0); o3.replace(with: 0, where: o3 .< 0)
                    }
                    res[4 * s] = o0; res[4 * s + 1] = o1; res[4 * s + 2] = o2; res[4 * s + 3] = o3
                }
                if interior {
                    // 4×4 transpose (columns s × tiles l) so each tile's output row is one store.
                    for r in 0..<4 {
                        let c0 = res[r], c1 = res[4 + r], c2 = res[8 + r], c3 = res[12 + r]
                        let p = out + (y0 + r) * width + 4 * tx
                        store(SIMD4(c0[0], c1[0], c2[0], c3[0]), p)
                        store(SIMD4(c0[1], c1[1], c2[1], c3[1]), p + 4)
                        store(SIMD4(c0[2], c1[2], c2[2], c3[2]), p + 8)
                        store(SIMD4(c0[3], c1[3], c2[3], c3[3]), p + 12)
                    }
                } else {
                    for l in 0..<4 where tx + l < tilesW {
                        for s in 0..<4 where 4 * (tx + l) + s < width {
                            for r in 0..<rowsValid { out[(y0 + r) * width + 4 * (tx + l) + s] = res[4 * s + r][l] }
                        }
                    }
                }
                tx += 4
            }
        }
    }
}

/// Phases 0…3 at index m of a de-interleaved row: padded column q = 4m + p, i.e. x = 4m + p − 1
/// (zero outside the row).
@inline(__always)
private func deinterleaveScalar(_ src: UnsafePointer<Float>, width: Int, m: Int,
                                into d: UnsafeMutablePointer<Float>, phaseLength: Int) {
    for p in 0..<4 {
        let x = 4 * m + p - 1
        d[p * phaseLength + m] = (x >= 0 && x < width) ? src[x] : 0
    }
}

/// The de-interleave of one input row with a ReLU-backward mask applied (x where mask > 0, else 0).
@inline(__always)
private func deinterleaveRow(_ src: UnsafePointer<Float>, mask: UnsafePointer<Float>, width: Int,
                             into d: UnsafeMutablePointer<Float>, phaseLength L: Int) {
    let fastEnd = min(L, (width + 1) / 4)
    var m = 0
    while m < L {
        if m >= 4 && m + 4 <= fastEnd {
            var a0 = load(src + 4 * m - 1), a1 = load(src + 4 * m + 3)
            var a2 = load(src + 4 * m + 7), a3 = load(src + 4 * m + 11)
            a0.replace(with: 0, where: load(mask + 4 * m - 1) .<= 0)
            a1.replace(with: 0, where: load(mask + 4 * m + 3) .<= 0)
            a2.replace(with: 0, where: load(mask + 4 * m + 7) .<= 0)
            a3.replace(with: 0, where: load(mask + 4 * m + 11) .<= 0)
            store(SIMD4(a0[0], a1[0], a2[0], a3[0]), d + m)
            store(SIMD4(a0[1], a1[1], a2[1], a3[1]), d + L + m)
            store(SIMD4(a0[2], a1[2], a2[2], a3[2]), d + 2 * L + m)
            store(SIMD4(a0[3], a1[3], a2[3], a3[3]), d + 3 * L + m)
            m += 4
        } else {
            for p in 0..<4 {
                let x = 4 * m + p - 1
                d[p * L + m] = (x >= 0 && x < width && mask[x] > 0) ? src[x] : 0
            }
            m += 1
        }
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}
