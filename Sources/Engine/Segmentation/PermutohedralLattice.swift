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
        let m = vertexCount, n = pointCount, d1 = dimension + 1
        guard m > 0, n > 0 else { return }
        // Splat (scatter): each worker splats a contiguous range of points into its own vertex buffer;
        // the buffers are then summed in worker order (deterministic for a given thread count).
        let workers = max(1, min(EngineThreads.count, n / 8192))
        let chunk = (n + workers - 1) / workers
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * c * workers)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: m * c)
        defer { a.deallocate(); b.deallocate() }
        offsets.withUnsafeBufferPointer { ofb in
            barycentric.withUnsafeBufferPointer { bab in
                let op = ofb.baseAddress!, bp = bab.baseAddress!
                ParallelLoop.run(workers: workers) { w in
                    let buffer = a + w * m * c
                    buffer.initialize(repeating: 0, count: m * c)
                    for i in (w * chunk)..<min(n, (w + 1) * chunk) {
                        let src = input + i * c
                        let e0 = i * d1
                        switch c {
                        case 1:
                            let v0 = src[0]
                            for e in e0..<(e0 + d1) { buffer[Int(op[e])] += bp[e] * v0 }
                        case 2:
                            let v0 = src[0], v1 = src[1]
                            for e in e0..<(e0 + d1) {
                                let weight = bp[e], dst = buffer + Int(op[e]) * 2
                                dst[0] += weight * v0; dst[1] += weight * v1
                            }
                        default:
                            for e in e0..<(e0 + d1) { latticeAXPY(buffer + Int(op[e]) * c, UnsafePointer(src), bp[e], c) }
                        }
                    }
                }
            }
        }
        if workers > 1 {
            ParallelLoop.forEachChunk(count: m * c, minimumChunk: 8192) { range in
                for w in 1..<workers {
                    let other = a + w * m * c
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
                        let out = output + i * c, e0 = i * d1
                        switch c {
                        case 1:
                            var s0: Float = 0
                            for e in e0..<(e0 + d1) { s0 += bp[e] * blurred[Int(op[e])] }
                            out[0] = s0 * inv
                        case 2:
                            var s0: Float = 0, s1: Float = 0
                            for e in e0..<(e0 + d1) {
                                let w = bp[e], val = blurred + Int(op[e]) * 2
                                s0 += w * val[0]; s1 += w * val[1]
                            }
                            out[0] = s0 * inv; out[1] = s1 * inv
                        default:
                            for k in 0..<c { out[k] = 0 }
                            for e in e0..<(e0 + d1) { latticeAXPY(out, UnsafePointer(blurred + Int(op[e]) * c), bp[e] * inv, c) }
                        }
                    }
                }
            }
        }
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

/// y[0..<c] += a · x[0..<c], eight lanes at a time (the pointers may alias as far as the compiler
/// knows, which keeps a plain loop scalar).
@inline(__always)
private func latticeAXPY(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ a: Float, _ c: Int) {
    var k = 0
    let yr = UnsafeMutableRawPointer(y), xr = UnsafeRawPointer(x)
    let av = SIMD8<Float>(repeating: a)
    while k + 8 <= c {
        let xv = xr.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
        let yv = yr.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
        yr.storeBytes(of: yv + av * xv, toByteOffset: k * 4, as: SIMD8<Float>.self)
        k += 8
    }
    while k < c { y[k] += a * x[k]; k += 1 }
}
