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
/// allocation). Splat is done as a gather per vertex (a CSR list of the points that touch it), so
/// splat, blur and slice all run in parallel over `EngineThreads.count` workers.
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
    /// CSR over vertices: the (point, weight) pairs splatting into vertex v are
    /// `splatPoint/splatWeight[splatStart[v]..<splatStart[v+1]]`.
    private let splatStart: [Int32]
    private let splatPoint: [Int32]
    private let splatWeight: [Float]
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
        guard d >= 1 else { throw DenseCRFError.invalidFeatures("dimension \(d) must be at least 1") }
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
        // Per (point, remainder): its vertex key (d coordinates; the last one is minus their sum)
        // and hash. Computed in parallel; inserted sequentially below.
        var keys = [Int32](repeating: 0, count: entries * d)
        var hashes = [UInt32](repeating: 0, count: entries)
        var bary = [Float](repeating: 0, count: entries)
        // scale[k] = s / √((k+1)(k+2)): the columns of the elevation matrix normalised, times s.
        let s = Double(d1) * (2.0 / 3.0).squareRoot()
        let scale = (0..<d).map { Float(s / Double(($0 + 1) * ($0 + 2)).squareRoot()) }
        features.withUnsafeBufferPointer { fb in
            keys.withUnsafeMutableBufferPointer { kb in
                hashes.withUnsafeMutableBufferPointer { hb in
                    bary.withUnsafeMutableBufferPointer { bb in
                        let fp = fb.baseAddress, kp = kb.baseAddress, hp = hb.baseAddress, bp = bb.baseAddress
                        ParallelLoop.forEachChunk(count: n, minimumChunk: 1024) { range in
                            Self.locate(points: range, features: fp!, dimension: d, scale: scale,
                                        keys: kp!, hashes: hp!, barycentric: bp!)
                        }
                    }
                }
            }
        }

        // Open-addressing hash table (linear probing) of vertex indices + 1 (0 = empty); a vertex's key
        // is that of the first entry that created it.
        var capacity = 16
        while capacity < 2 * max(1, entries) { capacity <<= 1 }
        let mask = capacity - 1
        var table = [Int32](repeating: 0, count: capacity)
        var vertexEntry = [Int32]()
        vertexEntry.reserveCapacity(entries / 2 + 16)
        var offsetsBuilt = [Int32](repeating: 0, count: entries)
        keys.withUnsafeBufferPointer { kb in
            table.withUnsafeMutableBufferPointer { tb in
                offsetsBuilt.withUnsafeMutableBufferPointer { ob in
                    guard let kp = kb.baseAddress, let tp = tb.baseAddress, let op = ob.baseAddress else { return }
                    for e in 0..<entries {
                        var slot = Int(hashes[e]) & mask
                        let key = kp + e * d
                        while true {
                            let t = tp[slot]
                            if t == 0 {
                                vertexEntry.append(Int32(e))
                                tp[slot] = Int32(vertexEntry.count)
                                op[e] = Int32(vertexEntry.count - 1)
                                break
                            }
                            let other = kp + Int(vertexEntry[Int(t) - 1]) * d
                            var same = true
                            for k in 0..<d where other[k] != key[k] { same = false; break }
                            if same { op[e] = t - 1; break }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
        let m = vertexEntry.count
        vertexCount = m
        offsets = offsetsBuilt
        barycentric = bary

        // Blur neighbours along each direction j: key ∓ (1, …, 1) with coordinate j moved by ±d instead
        // (for j = d only the common ∓1 — the implicit last coordinate takes the ±d).
        var nb = [Int32](repeating: -1, count: d1 * m * 2)
        keys.withUnsafeBufferPointer { kb in
            table.withUnsafeBufferPointer { tb in
                vertexEntry.withUnsafeBufferPointer { vb in
                    nb.withUnsafeMutableBufferPointer { nbb in
                        guard let kp = kb.baseAddress, let tp = tb.baseAddress, let vp = vb.baseAddress,
                              let np = nbb.baseAddress else { return }
                        ParallelLoop.forEachChunk(count: m, minimumChunk: 1024) { range in
                            var down = [Int32](repeating: 0, count: d)
                            var up = [Int32](repeating: 0, count: d)
                            for v in range {
                                let key = kp + Int(vp[v]) * d
                                for j in 0...d {
                                    for k in 0..<d { down[k] = key[k] - 1; up[k] = key[k] + 1 }
                                    if j < d { down[j] = key[j] + Int32(d); up[j] = key[j] - Int32(d) }
                                    np[(j * m + v) * 2] = Self.find(down, keys: kp, vertexEntry: vp, table: tp, mask: mask, dimension: d)
                                    np[(j * m + v) * 2 + 1] = Self.find(up, keys: kp, vertexEntry: vp, table: tp, mask: mask, dimension: d)
                                }
                            }
                        }
                    }
                }
            }
        }
        neighbours = nb

        // CSR of the splat (counting sort of entries by vertex).
        var start = [Int32](repeating: 0, count: m + 1)
        for e in 0..<entries { start[Int(offsetsBuilt[e]) + 1] += 1 }
        for v in 0..<m { start[v + 1] += start[v] }
        var fill = start
        var sp = [Int32](repeating: 0, count: entries)
        var sw = [Float](repeating: 0, count: entries)
        for e in 0..<entries {
            let v = Int(offsetsBuilt[e])
            let at = Int(fill[v]); fill[v] += 1
            sp[at] = Int32(e / d1)
            sw[at] = bary[e]
        }
        splatStart = start
        splatPoint = sp
        splatWeight = sw
    }

    /// Hash of a d-coordinate key (multiplicative rolling hash, as in Adams et al.'s reference code).
    @inline(__always)
    private static func hash(_ key: UnsafePointer<Int32>, _ d: Int) -> UInt32 {
        var h: UInt32 = 0
        for k in 0..<d { h = (h &+ UInt32(bitPattern: key[k])) &* 2_531_011 }
        return h
    }

    /// Vertex index of `key`, or −1.
    @inline(__always)
    private static func find(_ key: [Int32], keys: UnsafePointer<Int32>, vertexEntry: UnsafePointer<Int32>,
                             table: UnsafePointer<Int32>, mask: Int, dimension d: Int) -> Int32 {
        key.withUnsafeBufferPointer { kb -> Int32 in
            let kp = kb.baseAddress!
            var slot = Int(hash(kp, d)) & mask
            while true {
                let t = table[slot]
                if t == 0 { return -1 }
                let other = keys + Int(vertexEntry[Int(t) - 1]) * d
                var same = true
                for k in 0..<d where other[k] != kp[k] { same = false; break }
                if same { return t - 1 }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Elevation, enclosing simplex and barycentric weights of `points` (Adams et al. 2010, §3.1–3.2).
    private static func locate(points: Range<Int>, features: UnsafePointer<Float>, dimension d: Int,
                               scale: [Float], keys: UnsafeMutablePointer<Int32>,
                               hashes: UnsafeMutablePointer<UInt32>, barycentric: UnsafeMutablePointer<Float>) {
        let d1 = d + 1
        let invD1 = 1 / Float(d1)
        var elevated = [Float](repeating: 0, count: d1)
        var rem0 = [Float](repeating: 0, count: d1)
        var rank = [Int](repeating: 0, count: d1)
        var bary = [Float](repeating: 0, count: d + 2)
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
            // Vertex r of the simplex: rem0 + r, minus d+1 on the coordinates whose rank is > d − r.
            for r in 0...d {
                let e = i * d1 + r
                let key = keys + e * d
                for k in 0..<d {
                    key[k] = Int32(rem0[k]) + Int32(rank[k] <= d - r ? r : r - d1)
                }
                hashes[e] = hash(UnsafePointer(key), d)
                barycentric[e] = bary[r]
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
        let m = vertexCount, n = pointCount, d1 = dimension + 1
        guard m > 0, n > 0 else { return }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * c)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: m * c)
        defer { a.deallocate(); b.deallocate() }
        splatStart.withUnsafeBufferPointer { ssb in
            splatPoint.withUnsafeBufferPointer { spb in
                splatWeight.withUnsafeBufferPointer { swb in
                    let ss = ssb.baseAddress!, sp = spb.baseAddress!, sw = swb.baseAddress!
                    // Splat (gather per vertex).
                    ParallelLoop.forEachChunk(count: m, minimumChunk: 2048) { range in
                        for v in range {
                            let dst = a + v * c
                            for k in 0..<c { dst[k] = 0 }
                            for e in Int(ss[v])..<Int(ss[v + 1]) {
                                let w = sw[e], src = input + Int(sp[e]) * c
                                for k in 0..<c { dst[k] += w * src[k] }
                            }
                        }
                    }
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
                    for v in range {
                        let n0 = Int(np[(j * m + v) * 2]), n1 = Int(np[(j * m + v) * 2 + 1])
                        let o = s + v * c, r = t + v * c
                        if n0 >= 0 && n1 >= 0 {
                            let p0 = s + n0 * c, p1 = s + n1 * c
                            for k in 0..<c { r[k] = o[k] + 0.5 * (p0[k] + p1[k]) }
                        } else if n0 >= 0 {
                            let p0 = s + n0 * c
                            for k in 0..<c { r[k] = o[k] + 0.5 * p0[k] }
                        } else if n1 >= 0 {
                            let p1 = s + n1 * c
                            for k in 0..<c { r[k] = o[k] + 0.5 * p1[k] }
                        } else {
                            for k in 0..<c { r[k] = o[k] }
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
                    for i in range {
                        let out = output + i * c
                        for k in 0..<c { out[k] = 0 }
                        for r in 0..<d1 {
                            let e = i * d1 + r
                            let w = bp[e] * inv, val = blurred + Int(op[e]) * c
                            for k in 0..<c { out[k] += w * val[k] }
                        }
                    }
                }
            }
        }
    }
}
