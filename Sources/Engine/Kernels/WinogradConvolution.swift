/// A 3×3, stride-1, pad-1 cross-correlation y[o] = Σ_i x[i] ⋆ k[o][i] (+ bias, optional ReLU)
/// evaluated with Winograd F(4×4, 3×3) (see `WinogradF43`).
///
/// The image is cut into 4×4 output tiles; rows of tiles are grouped into blocks of about
/// `tilesPerBlock` tiles. Each block is handled start to finish by one worker: input transform of
/// all channels into V (36 × Cin × tiles), 36 single-threaded `sgemm`s M_ξ = U_ξ · V_ξ, inverse
/// transform with bias/ReLU straight into the output. Blocks are dealt round-robin to
/// `EngineThreads.count` workers (fixed partitioning, so results are deterministic), and the
/// transformed input is never materialized for the whole image (per-worker scratch is
/// 36 · (Cin + Cout) · tiles floats, e.g. 19 MB for 512 → 512 channels at 128 tiles, taken from
/// `ScratchPool` so that it is not re-faulted on every call).
///
/// Accuracy: the transforms amplify float32 rounding by a small constant (entries up to 8 in Aᵀ,
/// 5 in Bᵀ); measured max error vs a double-precision reference is 3e-6 (Cin = 3) to 1.2e-5
/// (Cin = 256…512) relative to the largest output, vs 2e-7…5e-7 for im2col+sgemm (see the tests).
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
        let useShared: Bool
        switch strategy {
        case .perWorkerBlocks: useShared = false
        case .sharedBlocks, .sharedBlocksThreadedBLAS: useShared = true
        case .automatic:
            // Measured (2 threads, VGG-16 layers): sharing one block wins while the whole image
            // is one block whose V + M stay within the L3 (32 MB here); beyond that each core
            // working on its own blocks is faster (no cross-core traffic between the phases).
            let tiles = tilesH * rowStride
            let workingSetBytes = 36 * (inChannels + outChannels) * tiles * 4
            useShared = threads > 1 && tiles <= threads * tilesPerBlock && workingSetBytes <= Self.sharedWorkingSetLimit
        }
        let maskData = mask?.data ?? []
        x.data.withUnsafeBufferPointer { xb in
            maskData.withUnsafeBufferPointer { mb in
                y.data.withUnsafeMutableBufferPointer { yb in
                    let geometry = Geometry(height: height, width: width, tilesH: tilesH, tilesW: tilesW,
                                            rowStride: rowStride, input: xb.baseAddress!,
                                            mask: mb.isEmpty ? nil : mb.baseAddress, output: yb.baseAddress!)
                    if useShared {
                        applySharedBlocks(geometry, bias: bias, relu: relu, threads: threads,
                                          threadedBLAS: strategy == .sharedBlocksThreadedBLAS)
                    } else {
                        applyPerWorkerBlocks(geometry, bias: bias, relu: relu, threads: threads)
                    }
                }
            }
        }
    }

    /// How the work of one convolution is spread over the engine threads.
    enum Strategy: Equatable {
        /// `sharedBlocks` when the whole image fits one shared block (≤ threads × tilesPerBlock
        /// tiles, V + M ≤ `sharedWorkingSetLimit`), i.e. deep layers at small sizes;
        /// `perWorkerBlocks` otherwise.
        case automatic
        /// Each worker owns whole blocks of tile rows (transform, 36 single-threaded GEMMs,
        /// inverse transform): no synchronization inside a block, scratch per worker.
        case perWorkerBlocks
        /// All workers on one block at a time: input transform split over input channels, the 36
        /// GEMMs split over ξ (single-threaded BLAS), inverse transform split over output channels.
        case sharedBlocks
        /// As `sharedBlocks`, but each GEMM runs on OpenBLAS's own threads (for measurement).
        case sharedBlocksThreadedBLAS
    }
    var strategy: Strategy = .automatic
    /// Largest transformed input + output (bytes) for which `automatic` picks `sharedBlocks`.
    static let sharedWorkingSetLimit = 32 << 20

    private struct Geometry {
        let height: Int, width: Int, tilesH: Int, tilesW: Int, rowStride: Int
        let input: UnsafePointer<Float>, mask: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
        var phaseLength: Int { rowStride + 4 }
        var plane: Int { height * width }
    }

    private func applyPerWorkerBlocks(_ geo: Geometry, bias: [Float], relu: Bool, threads: Int) {
        let cin = inChannels, cout = outChannels
        var rowsPerBlock = max(1, min(tilesPerBlock / geo.rowStride, (geo.tilesH + threads - 1) / threads))
        var blocks = (geo.tilesH + rowsPerBlock - 1) / rowsPerBlock
        if blocks > threads && blocks % threads != 0 {    // even out the round-robin deal
            let balanced = (blocks + threads - 1) / threads * threads
            rowsPerBlock = (geo.tilesH + balanced - 1) / balanced
            blocks = (geo.tilesH + rowsPerBlock - 1) / rowsPerBlock
        }
        let workers = min(threads, blocks)
        let blockTiles = rowsPerBlock * geo.rowStride
        transformedKernels.withUnsafeBufferPointer { ub in
            let up = ub.baseAddress!
            BLAS.withSingleThreadedBLAS {
                ParallelLoop.run(workers: workers) { worker in
                  ScratchPool.shared.withBuffer(capacity: 36 * cin * blockTiles) { v in
                    ScratchPool.shared.withBuffer(capacity: 36 * cout * blockTiles) { m in
                    var block = worker
                    while block < blocks {
                        let tileRows = (block * rowsPerBlock)..<min(geo.tilesH, (block + 1) * rowsPerBlock)
                        Self.transformInputs(geo, channels: 0..<cin, tileRows: tileRows, v: v,
                                             blockTiles: blockTiles, inChannels: cin)
                        Self.multiply(positions: 0..<36, u: up, v: v, m: m, inChannels: cin, outChannels: cout,
                                      tiles: tileRows.count * geo.rowStride, blockTiles: blockTiles)
                        Self.transformOutputs(geo, channels: 0..<cout, tileRows: tileRows, m: m,
                                              blockTiles: blockTiles, outChannels: cout, bias: bias, relu: relu)
                        block += workers
                    }
                    }
                  }
                }
            }
        }
    }

    private func applySharedBlocks(_ geo: Geometry, bias: [Float], relu: Bool, threads: Int, threadedBLAS: Bool) {
        let cin = inChannels, cout = outChannels
        let rowsPerBlock = max(1, min(geo.tilesH, threads * tilesPerBlock / geo.rowStride))
        let blocks = (geo.tilesH + rowsPerBlock - 1) / rowsPerBlock
        let blockTiles = rowsPerBlock * geo.rowStride
        ScratchPool.shared.withBuffer(capacity: 36 * cin * blockTiles) { v in
        ScratchPool.shared.withBuffer(capacity: 36 * cout * blockTiles) { m in
        transformedKernels.withUnsafeBufferPointer { ub in
            let up = ub.baseAddress!
            for block in 0..<blocks {
                let tileRows = (block * rowsPerBlock)..<min(geo.tilesH, (block + 1) * rowsPerBlock)
                let tiles = tileRows.count * geo.rowStride
                ParallelLoop.forEachChunk(count: cin) { channels in
                    Self.transformInputs(geo, channels: channels, tileRows: tileRows, v: v,
                                         blockTiles: blockTiles, inChannels: cin)
                }
                if threadedBLAS {
                    Self.multiply(positions: 0..<36, u: up, v: v, m: m, inChannels: cin, outChannels: cout,
                                  tiles: tiles, blockTiles: blockTiles)
                } else {
                    BLAS.withSingleThreadedBLAS {
                        ParallelLoop.forEachChunk(count: 36) { positions in
                            Self.multiply(positions: positions, u: up, v: v, m: m, inChannels: cin, outChannels: cout,
                                          tiles: tiles, blockTiles: blockTiles)
                        }
                    }
                }
                ParallelLoop.forEachChunk(count: cout) { channels in
                    Self.transformOutputs(geo, channels: channels, tileRows: tileRows, m: m,
                                          blockTiles: blockTiles, outChannels: cout, bias: bias, relu: relu)
                }
            }
        }
        }
        }
    }

    /// V[ξ][c][t] for `channels` of one block (V laid out 36 × inChannels × blockTiles).
    private static func transformInputs(_ geo: Geometry, channels: Range<Int>, tileRows: Range<Int>,
                                        v: UnsafeMutablePointer<Float>, blockTiles: Int, inChannels: Int) {
        let rowScratch = UnsafeMutablePointer<Float>.allocate(capacity: 12 * 4 * geo.phaseLength)
        defer { rowScratch.deallocate() }
        for c in channels {
            transformInput(plane: geo.input + c * geo.plane, mask: geo.mask.map { $0 + c * geo.plane },
                           height: geo.height, width: geo.width,
                           tileRows: tileRows, rowStride: geo.rowStride, phaseLength: geo.phaseLength,
                           scratch: rowScratch,
                           destination: v + c * blockTiles, positionStride: inChannels * blockTiles)
        }
    }

    /// M_ξ = U_ξ · V_ξ for the given positions ξ.
    private static func multiply(positions: Range<Int>, u: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 m: UnsafeMutablePointer<Float>, inChannels cin: Int, outChannels cout: Int,
                                 tiles: Int, blockTiles: Int) {
        for xi in positions {
            BLAS.sgemm(m: cout, n: tiles, k: cin,
                       alpha: 1, a: u + xi * cout * cin, lda: cin,
                       b: v + xi * cin * blockTiles, ldb: blockTiles,
                       beta: 0, c: m + xi * cout * blockTiles, ldc: blockTiles)
        }
    }

    /// Output planes `channels` of one block from M (36 × outChannels × blockTiles).
    private static func transformOutputs(_ geo: Geometry, channels: Range<Int>, tileRows: Range<Int>,
                                         m: UnsafePointer<Float>, blockTiles: Int, outChannels: Int,
                                         bias: [Float], relu: Bool) {
        let tileScratch = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: 40)
        defer { tileScratch.deallocate() }
        for o in channels {
            transformOutput(source: m + o * blockTiles, positionStride: outChannels * blockTiles,
                            plane: geo.output + o * geo.plane, height: geo.height, width: geo.width,
                            tileRows: tileRows, tilesW: geo.tilesW, rowStride: geo.rowStride,
                            bias: bias.isEmpty ? 0 : bias[o], relu: relu, scratch: tileScratch)
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
