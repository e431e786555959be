import Foundation

/// Approximate high-dimensional Gaussian filtering on the permutohedral lattice (Adams, Baek & Davis
/// 2010, "Fast High-Dimensional Filtering Using the Permutohedral Lattice"), the filter behind the
/// mean-field inference of Krähenbühl & Koltun 2011 ("Efficient Inference in Fully Connected CRFs with
/// Gaussian Edge Potentials", §4).
///
/// For N points with d-dimensional features fᵢ (already divided by the kernel's standard deviations)
/// and value vectors vⱼ of length C, `filter` approximates
///
///     outᵢ = Σⱼ exp(−|fᵢ − fⱼ|² / 2) · vⱼ        (j runs over all points, including i)
///
/// in O(N·(d+1)·C) per call after an O(N·d²) build:
/// * **elevate**: fᵢ is mapped isometrically (times s = (d+1)·√(2/3), Adams et al. §3.1) onto the
///   hyperplane Σx = 0 of R^{d+1}, tiled by simplices whose vertices are the integer points with all
///   coordinates congruent mod d+1 (the lattice (d+1)·A*_d);
/// * **splat**: each point's value is spread over the d+1 vertices of its enclosing simplex with its
///   barycentric weights (§3.2);
/// * **blur**: along each of the d+1 lattice directions, vertex values are convolved with
///   [1/2, 1, 1/2] (the [1 2 1]/2 kernel; absent neighbours count as 0) (§3.3);
/// * **slice**: each output is the barycentric interpolation of the blurred vertex values (§3.4).
///
/// The raw splat–blur–slice response is a constant multiple of the Gaussian sum in the dense limit:
/// splatting conserves mass, every blur pass doubles it, and each vertex stands for a feature-space
/// volume V = covol((d+1)A*_d) / s^d = (3/2)^{d/2} / √(d+1), so
/// raw ≈ V·2^{d+1} / (2π)^{d/2} · Σⱼ exp(−|Δf|²/2)·vⱼ. `filter` divides by that constant
/// (`gaussianScale`), so the self weight of a point is ≈ 1 — which `DenseCRF` relies on to remove a
/// pixel's own contribution from its message.
///
/// The lattice is built once per feature set and then filters any number of value vectors; vertices
/// live in an open-addressing hash table over their integer keys (linear probing, no per-vertex
/// allocation; a point whose simplex vertex equals the previous point's skips the lookup). Splat, blur
/// and slice run in parallel over `EngineThreads.count` workers: each worker splats its range of points
/// into a private vertex buffer and the buffers are summed in worker order, so results are
/// deterministic for a given thread count.
public struct PermutohedralLattice: Sendable {
    /// Feature dimension d.
    public let dimension: Int
    /// Number of points N.
    public let pointCount: Int
    /// Number of lattice vertices touched by the points.
    public let vertexCount: Int
    /// raw splat–blur–slice response / Gaussian sum in the dense limit: 2^{d+1}·(3/(4π))^{d/2}/√(d+1).
    public let gaussianScale: Float

    /// Vertex index of each (point, remainder), `pointCount × (d+1)`.
    private let offsets: [Int32]
    /// Barycentric weight of each (point, remainder).
    private let barycentric: [Float]
    /// Blur neighbours: for direction j and vertex v, `neighbours[(j·M + v)·2 + 0/1]` is the vertex
    /// one step back/forward along j, or −1 when absent.
    private let neighbours: [Int32]

    /// The dense-limit scale factor (see the type's documentation).
    public static func gaussianScale(dimension d: Int) -> Double {
        pow(2, Double(d + 1)) * pow(3 / (4 * Double.pi), Double(d) / 2) / Double(d + 1).squareRoot()
    }

    /// Builds the lattice for `features`, point-major (`features[i·d + k]` is feature k of point i),
    /// already divided by the standard deviations. Throws `DenseCRFError.invalidFeatures` when the
    /// dimension is not positive, the count is not a multiple of it, or a feature is not finite or
    /// beyond ±10⁶ (lattice keys are 32-bit integers).
    public init(features: [Float], dimension d: Int) throws {
        guard (1...64).contains(d) else { throw DenseCRFError.invalidFeatures("dimension \(d) must be 1...64") }
        guard features.count % d == 0 else {
            throw DenseCRFError.invalidFeatures("\(features.count) feature values are not a multiple of dimension \(d)")
        }
        for f in features where !(f.isFinite && abs(f) <= 1_000_000) {
            throw DenseCRFError.invalidFeatures("feature value \(f) is not finite or exceeds ±1e6")
        }
        let n = features.count / d
        let d1 = d + 1
        dimension = d
        pointCount = n
        gaussianScale = Float(Self.gaussianScale(dimension: d))

        let entries = n * d1
        // Per point: the remainder-0 vertex (first d coordinates) and the rank of each coordinate, which
        // define its simplex, and its barycentric weights. Computed in parallel; inserted sequentially.
        var rem0Mutable = [Int32](unsafeUninitializedCapacity: entries) { _, c in c = entries }
        var rankMutable = [UInt8](unsafeUninitializedCapacity: entries) { _, c in c = entries }
        var bary = [Float](unsafeUninitializedCapacity: entries) { _, c in c = entries }
        // scale[k] = s / √((k+1)(k+2)): the columns of the elevation matrix normalised, times s.
        let s = Double(d1) * (2.0 / 3.0).squareRoot()
        let scale = (0..<d).map { Float(s / Double(($0 + 1) * ($0 + 2)).squareRoot()) }
        features.withUnsafeBufferPointer { fb in
            rem0Mutable.withUnsafeMutableBufferPointer { rb in
                rankMutable.withUnsafeMutableBufferPointer { kb in
                    bary.withUnsafeMutableBufferPointer { bb in
                        let fp = fb.baseAddress, rp = rb.baseAddress, kp = kb.baseAddress, bp = bb.baseAddress
                        ParallelLoop.forEachChunk(count: n, minimumChunk: 1024) { range in
                            Self.locate(points: range, features: fp!, dimension: d, scale: scale,
                                        rem0Out: rp!, rankOut: kp!, barycentric: bp!)
                        }
                    }
                }
            }
        }
        // Insert the vertices: each worker fills its own table for a contiguous range of points, then
        // the tables are merged in worker order into the first one and the later ranges remapped
        // (deterministic for a given thread count). Neighbouring pixels usually share simplex vertices,
        // so each worker caches the last key per remainder and skips the lookup when it repeats.
        let workers = max(1, min(EngineThreads.count, n / 16384))
        let chunk = (n + workers - 1) / workers
        let tables = (0..<workers).map { _ in LatticeHashTable(dimension: d, expected: max(16, chunk * d1 / 32)) }
        var offsetsBuilt = [Int32](unsafeUninitializedCapacity: entries) { _, c in c = entries }
        rem0Mutable.withUnsafeBufferPointer { rb in
            rankMutable.withUnsafeBufferPointer { kb in
                offsetsBuilt.withUnsafeMutableBufferPointer { ob in
                    guard let rp = rb.baseAddress, let kp = kb.baseAddress, let op = ob.baseAddress else { return }
                    ParallelLoop.run(workers: workers) { w in
                        let table = tables[w]
                        let key = UnsafeMutablePointer<Int32>.allocate(capacity: d1)
                        let lastKey = UnsafeMutablePointer<Int32>.allocate(capacity: d1 * d)
                        let lastVertex = UnsafeMutablePointer<Int32>.allocate(capacity: d1)
                        defer { key.deallocate(); lastKey.deallocate(); lastVertex.deallocate() }
                        let start = w * chunk
                        for i in start..<min(n, start + chunk) {
                            let rem = rp + i * d1, rank = kp + i * d1
                            // Vertex r of the simplex: rem0 + r, minus d+1 where the rank is > d − r.
                            for r in 0...d {
                                for k in 0..<d { key[k] = rem[k] + Int32(Int(rank[k]) <= d - r ? r : r - d1) }
                                let cached = lastKey + r * d
                                var same = i > start
                                if same { for k in 0..<d where cached[k] != key[k] { same = false; break } }
                                if same { op[i * d1 + r] = lastVertex[r]; continue }
                                let v = table.insert(key, hash: latticeKeyHash(key, d))
                                op[i * d1 + r] = v
                                lastVertex[r] = v
                                cached.update(from: key, count: d)
                            }
                        }
                    }
                    let table = tables[0]
                    for w in 1..<workers {
                        let local = tables[w]
                        var map = [Int32](repeating: 0, count: local.count)
                        for v in 0..<local.count {
                            map[v] = table.insert(UnsafePointer(local.keys + v * d), hash: local.hash(of: v))
                        }
                        let start = w * chunk * d1, end = min(n, (w + 1) * chunk) * d1
                        map.withUnsafeBufferPointer { mb in
                            let mp = mb.baseAddress!
                            ParallelLoop.forEachChunk(count: end - start, minimumChunk: 65536) { range in
                                for e in range { op[start + e] = mp[Int(op[start + e])] }
                            }
                        }
                    }
                }
            }
        }
        let table = tables[0]
        let m = table.count
        vertexCount = m
        offsets = offsetsBuilt
        barycentric = bary

        // Blur neighbours along each direction j: key ∓ (1, …, 1) with coordinate j moved by ±d instead
        // (for j = d only the common ∓1 — the implicit last coordinate takes the ±d).
        var nb = [Int32](repeating: -1, count: d1 * m * 2)
        nb.withUnsafeMutableBufferPointer { nbb in
            guard let np = nbb.baseAddress else { return }
            ParallelLoop.forEachChunk(count: m, minimumChunk: 1024) { range in
                let down = UnsafeMutablePointer<Int32>.allocate(capacity: d)
                let up = UnsafeMutablePointer<Int32>.allocate(capacity: d)
                defer { down.deallocate(); up.deallocate() }
                for v in range {
                    let key = UnsafePointer(table.keys + v * d)
                    for j in 0...d {
                        for k in 0..<d { down[k] = key[k] - 1; up[k] = key[k] + 1 }
                        if j < d { down[j] = key[j] + Int32(d); up[j] = key[j] - Int32(d) }
                        np[(j * m + v) * 2] = table.find(down)
                        np[(j * m + v) * 2 + 1] = table.find(up)
                    }
                }
            }
        }
        neighbours = nb

    }

    /// Elevation, enclosing simplex and barycentric weights of `points` (Adams et al. 2010, §3.1–3.2).
    private static func locate(points: Range<Int>, features: UnsafePointer<Float>, dimension d: Int,
                               scale scaleArray: [Float], rem0Out: UnsafeMutablePointer<Int32>,
                               rankOut: UnsafeMutablePointer<UInt8>, barycentric: UnsafeMutablePointer<Float>) {
        let d1 = d + 1
        let invD1 = 1 / Float(d1)
        let elevated = UnsafeMutablePointer<Float>.allocate(capacity: d1)
        let rem0 = UnsafeMutablePointer<Float>.allocate(capacity: d1)
        let rank = UnsafeMutablePointer<Int>.allocate(capacity: d1)
        let bary = UnsafeMutablePointer<Float>.allocate(capacity: d + 2)
        let scale = UnsafeMutablePointer<Float>.allocate(capacity: d)
        scale.initialize(from: scaleArray, count: d)
        defer { elevated.deallocate(); rem0.deallocate(); rank.deallocate(); bary.deallocate(); scale.deallocate() }
        for i in points {
            let f = features + i * d
            // Elevate: E·(scale ⊙ f), E's column k = (1, …, 1 [k+1 times], −(k+1), 0, …).
            var sm: Float = 0
            for k in stride(from: d, to: 0, by: -1) {
                let cf = f[k - 1] * scale[k - 1]
                elevated[k] = sm - Float(k) * cf
                sm += cf
            }
            elevated[0] = sm
            // Nearest remainder-0 point: round each coordinate to a multiple of d+1.
            var sum = 0
            for k in 0...d {
                let v = elevated[k] * invD1
                let up = (v.rounded(.up)) * Float(d1)
                let down = (v.rounded(.down)) * Float(d1)
                rem0[k] = (up - elevated[k] < elevated[k] - down) ? up : down
                sum += Int(rem0[k]) / d1
                rank[k] = 0
            }
            // Rank of each coordinate's residual (the permutation that orders the simplex).
            for k in 0..<d {
                let dk = elevated[k] - rem0[k]
                for l in (k + 1)...d {
                    if dk < elevated[l] - rem0[l] { rank[k] += 1 } else { rank[l] += 1 }
                }
            }
            // Bring the coordinate sum back to 0 (wrap the ranks).
            if sum > 0 {
                for k in 0...d {
                    if rank[k] >= d1 - sum { rem0[k] -= Float(d1); rank[k] += sum - d1 } else { rank[k] += sum }
                }
            } else if sum < 0 {
                for k in 0...d {
                    if rank[k] < -sum { rem0[k] += Float(d1); rank[k] += d1 + sum } else { rank[k] += sum }
                }
            }
            // Barycentric coordinates (Adams et al. §3.2).
            for k in 0..<(d + 2) { bary[k] = 0 }
            for k in 0...d {
                let v = (elevated[k] - rem0[k]) * invD1
                bary[d - rank[k]] += v
                bary[d1 - rank[k]] -= v
            }
            bary[0] += 1 + bary[d1]
            for k in 0...d {
                rem0Out[i * d1 + k] = Int32(rem0[k])
                rankOut[i * d1 + k] = UInt8(rank[k])
                barycentric[i * d1 + k] = bary[k]
            }
        }
    }

    /// Filters `values` (point-major, `channels` per point): outᵢ ≈ Σⱼ exp(−|fᵢ−fⱼ|²/2)·vⱼ.
    /// Returns an empty array when `values.count != pointCount · channels` or `channels < 1`.
    public func filter(_ values: [Float], channels: Int) -> [Float] {
        guard channels >= 1, values.count == pointCount * channels else { return [] }
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { vb in
            out.withUnsafeMutableBufferPointer { ob in
                if let vp = vb.baseAddress, let op = ob.baseAddress { filter(vp, into: op, channels: channels) }
            }
        }
        return out
    }

    /// Pointer form of `filter(_:channels:)`: `input` and `output` hold `pointCount · channels` floats.
    func filter(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels c: Int) {
        filter(input, scale: nil, channels: c) { points, rows in
            (output + points.lowerBound * c).update(from: rows, count: points.count * c)
        }
    }

    /// The filter of `input · scale` (each point's `channels` values times `scale[i]`, when given), handing
    /// the filtered values of consecutive blocks of points to `sink(points, rows)` (`rows`: point-major,
    /// `points.count · channels` values, valid only during the call) instead of storing them: `DenseCRF`
    /// turns them into its messages and the next marginals right there, without extra passes over
    /// N × channels arrays. Blocks of up to 256 points keep the call overhead negligible; `sink` runs
    /// concurrently for different blocks.
    ///
    /// Vertex values are stored with a stride of `channels` for one or two channels, else rounded up to
    /// a multiple of 8 (21 labels → 24, the padding lanes stay 0), so that splat, blur and slice move
    /// whole `SIMD8<Float>` vectors per vertex; the arithmetic per channel is the same as with a plain
    /// loop (splat wᵢ·(vᵢ·scaleᵢ) added in point order, blur o + ½(p₀ + p₁), slice Σ (w·gaussianScale⁻¹)·value),
    /// so the padding does not change any result.
    @inline(__always)
    func filter(_ input: UnsafePointer<Float>, scale: UnsafePointer<Float>?, channels c: Int,
                sink: (Range<Int>, UnsafePointer<Float>) -> Void) {
        let m = vertexCount, n = pointCount, d1 = dimension + 1
        guard m > 0, n > 0 else { return }
        let vs = c <= 2 ? c : (c + 7) / 8 * 8   // vertex stride
        let lanes = vs / 8, full = c / 8, tail = c - full * 8
        // Splat (scatter): each worker splats a contiguous range of points into its own vertex buffer;
        // the buffers are then summed in worker order (deterministic for a given thread count).
        let workers = max(1, min(EngineThreads.count, n / 8192))
        let chunk = (n + workers - 1) / workers
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * vs * workers)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: m * vs)
        defer { a.deallocate(); b.deallocate() }
        offsets.withUnsafeBufferPointer { ofb in
            barycentric.withUnsafeBufferPointer { bab in
                let op = ofb.baseAddress!, bp = bab.baseAddress!
                ParallelLoop.run(workers: workers) { w in
                    let buffer = a + w * m * vs
                    buffer.initialize(repeating: 0, count: m * vs)
                    let values = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: max(1, lanes))
                    defer { values.deallocate() }
                    for i in (w * chunk)..<min(n, (w + 1) * chunk) {
                        let src = input + i * c
                        let e0 = i * d1
                        let r = scale?[i] ?? 1
                        switch c {
                        case 1:
                            let v0 = scale == nil ? src[0] : src[0] * r
                            for e in e0..<(e0 + d1) { buffer[Int(op[e])] += bp[e] * v0 }
                        case 2:
                            let v0 = scale == nil ? src[0] : src[0] * r, v1 = scale == nil ? src[1] : src[1] * r
                            for e in e0..<(e0 + d1) {
                                let weight = bp[e], dst = buffer + Int(op[e]) * 2
                                dst[0] += weight * v0; dst[1] += weight * v1
                            }
                        default:
                            latticeLoad(src, full: full, tail: tail, into: values)
                            if scale != nil {
                                let r8 = SIMD8<Float>(repeating: r)
                                for q in 0..<lanes { values[q] *= r8 }
                            }
                            for e in e0..<(e0 + d1) {
                                let weight = SIMD8<Float>(repeating: bp[e])
                                let dst = UnsafeMutableRawPointer(buffer + Int(op[e]) * vs)
                                for q in 0..<lanes {
                                    let y = dst.loadUnaligned(fromByteOffset: q * 32, as: SIMD8<Float>.self)
                                    dst.storeBytes(of: y + weight * values[q], toByteOffset: q * 32, as: SIMD8<Float>.self)
                                }
                            }
                        }
                    }
                }
            }
        }
        if workers > 1 {
            ParallelLoop.forEachChunk(count: m * vs, minimumChunk: 8192) { range in
                for w in 1..<workers {
                    let other = a + w * m * vs
                    for k in range { a[k] += other[k] }
                }
            }
        }
        // Blur along each direction: new = old + (prev + next) / 2.
        var src = a, dst = b
        neighbours.withUnsafeBufferPointer { nbb in
            let np = nbb.baseAddress!
            for j in 0..<d1 {
                let s = src, t = dst
                ParallelLoop.forEachChunk(count: m, minimumChunk: 2048) { range in
                    if vs % 8 == 0 {
                        for v in range {
                            let n0 = Int(np[(j * m + v) * 2]), n1 = Int(np[(j * m + v) * 2 + 1])
                            latticeBlurVertex(UnsafeRawPointer(s + v * vs), n0 >= 0 ? UnsafeRawPointer(s + n0 * vs) : nil,
                                              n1 >= 0 ? UnsafeRawPointer(s + n1 * vs) : nil,
                                              UnsafeMutableRawPointer(t + v * vs), lanes: lanes)
                        }
                        return
                    }
                    for v in range {
                        let n0 = Int(np[(j * m + v) * 2]), n1 = Int(np[(j * m + v) * 2 + 1])
                        let o = s + v * vs, r = t + v * vs
                        if n0 >= 0 && n1 >= 0 {
                            let p0 = s + n0 * vs, p1 = s + n1 * vs
                            for k in 0..<vs { r[k] = o[k] + 0.5 * (p0[k] + p1[k]) }
                        } else if n0 >= 0 {
                            let p0 = s + n0 * vs
                            for k in 0..<vs { r[k] = o[k] + 0.5 * p0[k] }
                        } else if n1 >= 0 {
                            let p1 = s + n1 * vs
                            for k in 0..<vs { r[k] = o[k] + 0.5 * p1[k] }
                        } else {
                            for k in 0..<vs { r[k] = o[k] }
                        }
                    }
                }
                swap(&src, &dst)
            }
        }
        // Slice (barycentric interpolation), divided by the dense-limit scale.
        let inv = 1 / gaussianScale
        let blurred = src
        offsets.withUnsafeBufferPointer { ofb in
            barycentric.withUnsafeBufferPointer { bab in
                let op = ofb.baseAddress!, bp = bab.baseAddress!
                ParallelLoop.forEachChunk(count: n, minimumChunk: 2048) { range in
                    let block = 256
                    let sums = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: max(1, lanes))
                    let rows = UnsafeMutablePointer<Float>.allocate(capacity: block * c)
                    defer { sums.deallocate(); rows.deallocate() }
                    var blockStart = range.lowerBound
                    for i in range {
                        let e0 = i * d1
                        let row = rows + (i - blockStart) * c
                        switch c {
                        case 1:
                            var s0: Float = 0
                            for e in e0..<(e0 + d1) { s0 += bp[e] * blurred[Int(op[e])] }
                            row[0] = s0 * inv
                        case 2:
                            var s0: Float = 0, s1: Float = 0
                            for e in e0..<(e0 + d1) {
                                let w = bp[e], val = blurred + Int(op[e]) * 2
                                s0 += w * val[0]; s1 += w * val[1]
                            }
                            row[0] = s0 * inv; row[1] = s1 * inv
                        default:
                            for q in 0..<lanes { sums[q] = SIMD8<Float>(repeating: 0) }
                            for e in e0..<(e0 + d1) {
                                let weight = SIMD8<Float>(repeating: bp[e] * inv)
                                let val = UnsafeRawPointer(blurred + Int(op[e]) * vs)
                                for q in 0..<lanes {
                                    sums[q] += weight * val.loadUnaligned(fromByteOffset: q * 32, as: SIMD8<Float>.self)
                                }
                            }
                            latticeStore(sums, full: full, tail: tail, to: row)
                        }
                        if i + 1 - blockStart == block || i + 1 == range.upperBound {
                            sink(blockStart..<(i + 1), UnsafePointer(rows))
                            blockStart = i + 1
                        }
                    }
                }
            }
        }
    }
}

/// Loads `full · 8 + tail` floats from `src` into SIMD8 vectors, the lanes past `tail` of the last one 0.
@inline(__always)
private func latticeLoad(_ src: UnsafePointer<Float>, full: Int, tail: Int, into values: UnsafeMutablePointer<SIMD8<Float>>) {
    let raw = UnsafeRawPointer(src)
    for q in 0..<full { values[q] = raw.loadUnaligned(fromByteOffset: q * 32, as: SIMD8<Float>.self) }
    if tail > 0 {
        var v = SIMD8<Float>(repeating: 0)
        for k in 0..<tail { v[k] = src[full * 8 + k] }
        values[full] = v
    }
}

/// Stores the first `full · 8 + tail` lanes of `values` to `out`.
@inline(__always)
private func latticeStore(_ values: UnsafePointer<SIMD8<Float>>, full: Int, tail: Int, to out: UnsafeMutablePointer<Float>) {
    let raw = UnsafeMutableRawPointer(out)
    for q in 0..<full { raw.storeBytes(of: values[q], toByteOffset: q * 32, as: SIMD8<Float>.self) }
    if tail > 0 {
        let v = values[full]
        for k in 0..<tail { out[full * 8 + k] = v[k] }
    }
}

/// One vertex of a blur pass over `lanes` SIMD8 vectors: r = o + ½(p₀ + p₁), an absent neighbour
/// counting as 0 (same operation order as the scalar loop).
@inline(__always)
private func latticeBlurVertex(_ o: UnsafeRawPointer, _ p0: UnsafeRawPointer?, _ p1: UnsafeRawPointer?,
                               _ r: UnsafeMutableRawPointer, lanes: Int) {
    let half = SIMD8<Float>(repeating: 0.5)
    for q in 0..<lanes {
        let offset = q * 32
        let ov = o.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        let value: SIMD8<Float>
        if let p0, let p1 {
            value = ov + half * (p0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                                 + p1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        } else if let p0 {
            value = ov + half * p0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        } else if let p1 {
            value = ov + half * p1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        } else {
            value = ov
        }
        r.storeBytes(of: value, toByteOffset: offset, as: SIMD8<Float>.self)
    }
}

/// Hash of a d-coordinate lattice key (multiplicative rolling hash, as in Adams et al.'s reference code).
@inline(__always)
private func latticeKeyHash(_ key: UnsafePointer<Int32>, _ d: Int) -> UInt32 {
    var h: UInt32 = 0
    for k in 0..<d { h = (h &+ UInt32(bitPattern: key[k])) &* 2_531_011 }
    return h
}

/// Open-addressing hash table (linear probing, power-of-two capacity, load ≤ 1/2) from d-coordinate
/// integer keys to dense vertex indices. Keys and hashes are stored contiguously by vertex; the table
/// grows by rehashing stored hashes, so there is no per-vertex allocation.
private final class LatticeHashTable {
    let d: Int
    private(set) var count = 0
    private var capacity: Int
    private var slots: UnsafeMutablePointer<Int32>      // vertex index, −1 = empty
    private(set) var keys: UnsafeMutablePointer<Int32>  // count × d
    private var hashes: UnsafeMutablePointer<UInt32>
    private var keyCapacity: Int

    init(dimension: Int, expected: Int) {
        d = dimension
        var c = 16
        while c < 2 * expected { c <<= 1 }
        capacity = c
        slots = .allocate(capacity: c)
        slots.initialize(repeating: -1, count: c)
        keyCapacity = expected
        keys = .allocate(capacity: expected * dimension)
        hashes = .allocate(capacity: expected)
    }

    deinit { slots.deallocate(); keys.deallocate(); hashes.deallocate() }

    /// Index of `key`, inserting it if absent.
    @inline(__always)
    func insert(_ key: UnsafePointer<Int32>, hash: UInt32) -> Int32 {
        let mask = capacity - 1
        var slot = Int(hash) & mask
        while true {
            let v = Int(slots[slot])
            if v < 0 { break }
            if hashes[v] == hash {
                let other = keys + v * d
                var same = true
                for k in 0..<d where other[k] != key[k] { same = false; break }
                if same { return Int32(v) }
            }
            slot = (slot + 1) & mask
        }
        if count == keyCapacity { growKeys() }
        (keys + count * d).update(from: key, count: d)
        hashes[count] = hash
        slots[slot] = Int32(count)
        count += 1
        if 2 * count > capacity { rehash() }
        return Int32(count - 1)
    }

    /// The stored hash of vertex `v`.
    func hash(of v: Int) -> UInt32 { hashes[v] }

    /// Index of `key`, or −1.
    @inline(__always)
    func find(_ key: UnsafePointer<Int32>) -> Int32 {
        let hash = latticeKeyHash(key, d)
        let mask = capacity - 1
        var slot = Int(hash) & mask
        while true {
            let v = Int(slots[slot])
            if v < 0 { return -1 }
            if hashes[v] == hash {
                let other = keys + v * d
                var same = true
                for k in 0..<d where other[k] != key[k] { same = false; break }
                if same { return Int32(v) }
            }
            slot = (slot + 1) & mask
        }
    }

    private func growKeys() {
        let newCapacity = keyCapacity * 2
        let newKeys = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity * d)
        newKeys.update(from: keys, count: count * d)
        keys.deallocate(); keys = newKeys
        let newHashes = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newHashes.update(from: hashes, count: count)
        hashes.deallocate(); hashes = newHashes
        keyCapacity = newCapacity
    }

    private func rehash() {
        slots.deallocate()
        capacity *= 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: -1, count: capacity)
        let mask = capacity - 1
        for v in 0..<count {
            var slot = Int(hashes[v]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(v)
        }
    }
}
