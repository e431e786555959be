import Foundation

/// Errors of `DenseCRF` and `PermutohedralLattice`.
public enum DenseCRFError: Error, CustomStringConvertible, Equatable {
    /// No labels were given.
    case noLabels
    /// The image has no pixels.
    case emptyImage
    /// Label `label` has `count` probabilities but the image has `pixels` pixels.
    case sizeMismatch(label: Int, count: Int, pixels: Int)
    /// A probability is NaN or infinite.
    case nonFiniteProbability(label: Int, pixel: Int)
    /// A parameter is out of range (`detail` names it).
    case invalidParameter(String)
    /// Lattice features are malformed (`detail` says how).
    case invalidFeatures(String)

    public var description: String {
        switch self {
        case .noLabels: return "dense CRF: no labels given"
        case .emptyImage: return "dense CRF: the image has no pixels"
        case let .sizeMismatch(label, count, pixels):
            return "dense CRF: label \(label) has \(count) probabilities but the image has \(pixels) pixels"
        case let .nonFiniteProbability(label, pixel):
            return "dense CRF: probability of label \(label) at pixel \(pixel) is not finite"
        case let .invalidParameter(detail): return "dense CRF: invalid parameter: \(detail)"
        case let .invalidFeatures(detail): return "permutohedral lattice: invalid features: \(detail)"
        }
    }
}

/// Parameters of the fully connected CRF (defaults of Krähenbühl & Koltun 2011 / pydensecrf).
public struct DenseCRFParameters: Equatable, Sendable {
    /// Mean-field iterations (5–10 is typical).
    public var iterations: Int
    /// w⁽¹⁾, weight of the appearance (bilateral) kernel.
    public var appearanceWeight: Float
    /// θα, spatial standard deviation of the appearance kernel, in pixels.
    public var thetaAlpha: Float
    /// θβ, colour standard deviation of the appearance kernel, in 0–255 units.
    public var thetaBeta: Float
    /// w⁽²⁾, weight of the smoothness kernel.
    public var smoothnessWeight: Float
    /// θγ, spatial standard deviation of the smoothness kernel, in pixels.
    public var thetaGamma: Float

    public init(iterations: Int = 5, appearanceWeight: Float = 10, thetaAlpha: Float = 80, thetaBeta: Float = 13,
                smoothnessWeight: Float = 3, thetaGamma: Float = 3) {
        self.iterations = iterations
        self.appearanceWeight = appearanceWeight
        self.thetaAlpha = thetaAlpha
        self.thetaBeta = thetaBeta
        self.smoothnessWeight = smoothnessWeight
        self.thetaGamma = thetaGamma
    }
}

/// Mean-field inference in the fully connected CRF of Krähenbühl & Koltun 2011 ("Efficient Inference in
/// Fully Connected CRFs with Gaussian Edge Potentials"):
///
///     E(x) = Σᵢ ψᵤ(xᵢ) + Σ_{i<j} μ(xᵢ, xⱼ) Σₘ w⁽ᵐ⁾ k̃⁽ᵐ⁾(fᵢ, fⱼ)                     (eq. 1–3)
///
/// with unary ψᵤ(l) = −log max(pᵢ(l), 1e-8), Potts compatibility μ(l, l′) = [l ≠ l′], and the two
/// Gaussian kernels of eq. 3: appearance exp(−|pᵢ−pⱼ|²/2θα² − |Iᵢ−Iⱼ|²/2θβ²) (colours in 0–255 units,
/// a gray image counts as R = G = B) and smoothness exp(−|pᵢ−pⱼ|²/2θγ²), each filtered with a
/// `PermutohedralLattice`.
///
/// **Normalisation and the self term.** As in pydensecrf's default (`NORMALIZE_SYMMETRIC`), each kernel
/// is used as k̃ᵢⱼ = kᵢⱼ / √(nᵢ nⱼ), nᵢ = Σ_{j≠i} kᵢⱼ, which keeps messages O(1) so that the default
/// weights are meaningful and keeps k̃ symmetric (so the free energy below is well defined). Messages
/// exclude the pixel itself: the lattice output is scaled so that a pixel's own weight is 1, and that
/// own contribution (1·vᵢ) is subtracted from every filtered sum, both for nᵢ and for the messages
/// (pydensecrf leaves it inside the normalised sum; removing it makes the iteration the exact mean-field
/// update of the energy above). The lattice's own weight is 1 only in the dense limit; where the image
/// is sparse in feature space the lattice underestimates sums (see `PermutohedralLattice`), so nᵢ is
/// clamped at 1e-3 and an isolated pixel simply receives (almost) no message.
///
/// **Update** (eq. 4, parallel over pixels): Qᵢ(l) ∝ exp(−ψᵤ(l) + Σₘ w⁽ᵐ⁾ Σ_{j≠i} k̃⁽ᵐ⁾ᵢⱼ Qⱼ(l)),
/// starting from Qᵢ = softmax(−ψᵤ). (The Potts term Σ_{l′≠l} Qⱼ(l′) = 1 − Qⱼ(l) differs from −Qⱼ(l) by a
/// constant per pixel, which the softmax removes.)
public enum DenseCRF {
    /// Refined marginals Q, `[label][pixel]`, after `parameters.iterations` mean-field updates.
    /// `probabilities` is `[label][pixel]` (pixel = y·width + x), e.g. a network's softmax output; it need
    /// not be normalised. `image` supplies the colours (RGB or gray in [0, 1]; alpha is ignored).
    public static func infer(probabilities: [[Float]], image: Image,
                             parameters: DenseCRFParameters = DenseCRFParameters()) throws -> [[Float]] {
        let model = try Model(probabilities: probabilities, image: image, parameters: parameters)
        var q = model.initialMarginals()
        for _ in 0..<parameters.iterations { q = model.update(q) }
        return model.labelMajor(q)
    }

    /// The mean-field free energy after 0, 1, …, `parameters.iterations` updates (count iterations + 1):
    /// F(Q) = Σᵢₗ Qᵢ(l) ψᵤ(l) + Σₘ w⁽ᵐ⁾ Σ_{i<j} k̃⁽ᵐ⁾ᵢⱼ Σₗ Qᵢ(l)(1 − Qⱼ(l)) + Σᵢₗ Qᵢ(l) log Qᵢ(l)
    /// = KL(Q ‖ P) − log Z (Krähenbühl & Koltun 2011, eq. 5–6), with the pairwise sums taken by the same
    /// lattice filtering as the updates. Each mean-field step minimises F over one Qᵢ with the others fixed;
    /// done in parallel it decreases F in practice (not guaranteed in general).
    public static func freeEnergyTrace(probabilities: [[Float]], image: Image,
                                       parameters: DenseCRFParameters = DenseCRFParameters()) throws -> [Double] {
        let model = try Model(probabilities: probabilities, image: image, parameters: parameters)
        var q = model.initialMarginals()
        var trace = [model.freeEnergy(q)]
        for _ in 0..<parameters.iterations {
            q = model.update(q)
            trace.append(model.freeEnergy(q))
        }
        return trace
    }

    /// The free energy F(Q) (see `freeEnergyTrace`) of marginals `marginals` (`[label][pixel]`).
    public static func freeEnergy(marginals: [[Float]], probabilities: [[Float]], image: Image,
                                  parameters: DenseCRFParameters = DenseCRFParameters()) throws -> Double {
        let model = try Model(probabilities: probabilities, image: image, parameters: parameters)
        guard marginals.count == model.labels else {
            throw DenseCRFError.invalidParameter("\(marginals.count) marginal rows for \(model.labels) labels")
        }
        for (l, row) in marginals.enumerated() where row.count != model.pixels {
            throw DenseCRFError.sizeMismatch(label: l, count: row.count, pixels: model.pixels)
        }
        return model.freeEnergy(model.pixelMajor(marginals))
    }

    /// One Gaussian kernel: its lattice, weight and 1/√nᵢ.
    private struct Kernel {
        let lattice: PermutohedralLattice
        let weight: Float
        let invSqrtNorm: [Float]
    }

    /// Unaries, kernels and the update/energy computations; marginals are pixel-major `[pixel][label]`.
    private struct Model {
        let labels: Int
        let pixels: Int
        let unary: [Float]
        let kernels: [Kernel]

        init(probabilities: [[Float]], image: Image, parameters p: DenseCRFParameters) throws {
            guard !probabilities.isEmpty else { throw DenseCRFError.noLabels }
            let n = image.pixelCount
            guard n > 0 else { throw DenseCRFError.emptyImage }
            for (l, row) in probabilities.enumerated() where row.count != n {
                throw DenseCRFError.sizeMismatch(label: l, count: row.count, pixels: n)
            }
            guard p.iterations >= 0 else { throw DenseCRFError.invalidParameter("iterations \(p.iterations) < 0") }
            for (name, v) in [("thetaAlpha", p.thetaAlpha), ("thetaBeta", p.thetaBeta), ("thetaGamma", p.thetaGamma)]
            where !(v.isFinite && v > 0) {
                throw DenseCRFError.invalidParameter("\(name) = \(v) must be finite and positive")
            }
            for (name, v) in [("appearanceWeight", p.appearanceWeight), ("smoothnessWeight", p.smoothnessWeight)]
            where !(v.isFinite && v >= 0) {
                throw DenseCRFError.invalidParameter("\(name) = \(v) must be finite and non-negative")
            }
            let nl = probabilities.count
            labels = nl
            pixels = n
            // ψᵤ, pixel-major; one worker per group of labels (strided writes), NaN/∞ reported after.
            var u = [Float](unsafeUninitializedCapacity: n * nl) { _, c in c = n * nl }
            var firstBad = [Int](repeating: -1, count: nl)
            u.withUnsafeMutableBufferPointer { ub in
                firstBad.withUnsafeMutableBufferPointer { fb in
                    let up = ub.baseAddress!, bad = fb.baseAddress!
                    ParallelLoop.forEachChunk(count: nl) { labelRange in
                        for l in labelRange {
                            probabilities[l].withUnsafeBufferPointer { rb in
                                for i in 0..<n {
                                    let v = rb[i]
                                    if !v.isFinite && bad[l] < 0 { bad[l] = i }
                                    up[i * nl + l] = -logf(max(v, 1e-8))
                                }
                            }
                        }
                    }
                }
            }
            for l in 0..<nl where firstBad[l] >= 0 {
                throw DenseCRFError.nonFiniteProbability(label: l, pixel: firstBad[l])
            }
            unary = u

            let w = image.width
            var smooth = [Float](repeating: 0, count: n * 2)
            var appear = [Float](repeating: 0, count: n * 5)
            let gray = image.colorChannels == 1
            let ch = image.channels
            image.pixels.withUnsafeBufferPointer { px in
                for i in 0..<n {
                    let x = Float(i % w), y = Float(i / w)
                    smooth[i * 2] = x / p.thetaGamma
                    smooth[i * 2 + 1] = y / p.thetaGamma
                    appear[i * 5] = x / p.thetaAlpha
                    appear[i * 5 + 1] = y / p.thetaAlpha
                    for c in 0..<3 {
                        let v = px[i * ch + (gray ? 0 : c)]
                        appear[i * 5 + 2 + c] = v * 255 / p.thetaBeta
                    }
                }
            }
            var ks = [Kernel]()
            for (features, dim, weight) in [(appear, 5, p.appearanceWeight), (smooth, 2, p.smoothnessWeight)]
            where weight > 0 {
                let lattice = try PermutohedralLattice(features: features, dimension: dim)
                // nᵢ = Σ_{j≠i} kᵢⱼ: filtered ones minus the own weight 1. Kept ≥ 1e-3 so isolated pixels
                // (no neighbour within a few standard deviations) get no message instead of a blow-up.
                let ones = [Float](repeating: 1, count: n)
                let norm = lattice.filter(ones, channels: 1)
                ks.append(Kernel(lattice: lattice, weight: weight,
                                 invSqrtNorm: norm.map { 1 / max($0 - 1, 1e-3).squareRoot() }))
            }
            kernels = ks
        }

        func pixelMajor(_ labelMajor: [[Float]]) -> [Float] {
            let nl = labels, n = pixels
            var q = [Float](unsafeUninitializedCapacity: n * nl) { _, c in c = n * nl }
            q.withUnsafeMutableBufferPointer { qb in
                let qp = qb.baseAddress!
                ParallelLoop.forEachChunk(count: nl) { range in
                    for l in range {
                        labelMajor[l].withUnsafeBufferPointer { rb in for i in 0..<n { qp[i * nl + l] = rb[i] } }
                    }
                }
            }
            return q
        }

        func labelMajor(_ q: [Float]) -> [[Float]] {
            let nl = labels, n = pixels
            var rows = [[Float]](repeating: [], count: nl)
            q.withUnsafeBufferPointer { qb in
                let qp = qb.baseAddress!
                rows.withUnsafeMutableBufferPointer { rowsBuffer in
                    let rp = rowsBuffer.baseAddress!
                    ParallelLoop.forEachChunk(count: nl) { range in
                        for l in range {
                            rp[l] = [Float](unsafeUninitializedCapacity: n) { b, c in
                                for i in 0..<n { b[i] = qp[i * nl + l] }
                                c = n
                            }
                        }
                    }
                }
            }
            return rows
        }

        /// Softmax of each pixel's `logits` row, in place.
        private func softmaxRows(_ logits: inout [Float]) {
            let nl = labels
            logits.withUnsafeMutableBufferPointer { lb in
                let lp = lb.baseAddress!
                ParallelLoop.forEachChunk(count: pixels, minimumChunk: 4096) { range in
                    for i in range { softmaxRow(lp + i * nl, nl) }
                }
            }
        }

        /// Q⁰ = softmax(−ψᵤ).
        func initialMarginals() -> [Float] {
            var q = unary.map { -$0 }
            softmaxRows(&q)
            return q
        }

        /// Σ_{j≠i} k̃ᵢⱼ vⱼ(l) for every pixel i and channel l (`values` pixel-major, `channels` per pixel).
        func message(_ kernel: Kernel, _ values: [Float], channels c: Int) -> [Float] {
            let n = pixels
            var scaled = [Float](repeating: 0, count: n * c)
            var filtered = [Float](repeating: 0, count: n * c)
            kernel.invSqrtNorm.withUnsafeBufferPointer { rb in
                values.withUnsafeBufferPointer { vb in
                    scaled.withUnsafeMutableBufferPointer { sb in
                        filtered.withUnsafeMutableBufferPointer { fb in
                            let r = rb.baseAddress!, v = vb.baseAddress!, s = sb.baseAddress!, f = fb.baseAddress!
                            ParallelLoop.forEachChunk(count: n, minimumChunk: 4096) { range in
                                for i in range { for l in 0..<c { s[i * c + l] = v[i * c + l] * r[i] } }
                            }
                            kernel.lattice.filter(UnsafePointer(s), into: f, channels: c)
                            // Remove the own contribution (weight 1 in filter units), then the outer 1/√nᵢ.
                            ParallelLoop.forEachChunk(count: n, minimumChunk: 4096) { range in
                                for i in range {
                                    for l in 0..<c { f[i * c + l] = r[i] * (f[i * c + l] - s[i * c + l]) }
                                }
                            }
                        }
                    }
                }
            }
            return filtered
        }

        /// One parallel mean-field update (Krähenbühl & Koltun 2011, eq. 4 / Algorithm 1):
        /// logits = −ψᵤ + Σₘ w⁽ᵐ⁾ Mₘ, then a softmax per pixel. Per kernel the lattice splats Q scaled by
        /// 1/√nⱼ, and each pixel's filtered row goes straight into its logits (own contribution removed,
        /// times w/√nᵢ); after the last kernel the row's softmax follows at once, so Q, the logits and the
        /// unaries are each streamed once per kernel and no filtered or scaled copy of Q is stored.
        func update(_ q: [Float]) -> [Float] {
            let nl = labels, n = pixels, total = n * nl
            var logits = [Float](unsafeUninitializedCapacity: total) { _, c in c = total }
            q.withUnsafeBufferPointer { qb in
                unary.withUnsafeBufferPointer { ub in
                    logits.withUnsafeMutableBufferPointer { lb in
                        let qp = qb.baseAddress!, up = ub.baseAddress!, lp = lb.baseAddress!
                        if kernels.isEmpty {
                            ParallelLoop.forEachChunk(count: n, minimumChunk: 4096) { range in
                                for i in range {
                                    for l in 0..<nl { lp[i * nl + l] = -up[i * nl + l] }
                                    softmaxRow(lp + i * nl, nl)
                                }
                            }
                        }
                        for (index, kernel) in kernels.enumerated() {
                            let w = kernel.weight, first = index == 0, last = index == kernels.count - 1
                            kernel.invSqrtNorm.withUnsafeBufferPointer { rb in
                                let r = rb.baseAddress!
                                kernel.lattice.filter(qp, scale: r, channels: nl) { points, block in
                                    for i in points {
                                        let filtered = block + (i - points.lowerBound) * nl
                                        // logits += w·rᵢ·(filtered − Qᵢ·rᵢ), eight labels at a time, then the rest.
                                        let ri = r[i], wr = w * ri, row = i * nl
                                        let ri8 = SIMD8<Float>(repeating: ri), wr8 = SIMD8<Float>(repeating: wr)
                                        let f = UnsafeRawPointer(filtered), qv = UnsafeRawPointer(qp + row)
                                        let uv = UnsafeRawPointer(up + row), lv = UnsafeMutableRawPointer(lp + row)
                                        var l = 0
                                        while l + 8 <= nl {
                                            let o = l * 4
                                            let message = wr8 * (f.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                                                                 - qv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * ri8)
                                            let base = first ? -uv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                                                             : lv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                                            lv.storeBytes(of: base + message, toByteOffset: o, as: SIMD8<Float>.self)
                                            l += 8
                                        }
                                        while l < nl {
                                            let k = row + l
                                            let message = wr * (filtered[l] - qp[k] * ri)
                                            lp[k] = (first ? -up[k] : lp[k]) + message
                                            l += 1
                                        }
                                        if last { softmaxRow(lp + row, nl) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return logits
        }

        /// F(Q) (see `DenseCRF.freeEnergyTrace`). With Σₗ Qᵢ(l) = 1 the pairwise part is
        /// ½ Σᵢ (Rᵢ − Σₗ Qᵢ(l) Mᵢ(l)), Rᵢ = Σ_{j≠i} k̃ᵢⱼ, Mᵢ(l) = Σ_{j≠i} k̃ᵢⱼ Qⱼ(l).
        func freeEnergy(_ q: [Float]) -> Double {
            var energy = 0.0
            for k in 0..<q.count {
                let v = Double(q[k])
                energy += v * Double(unary[k])
                if v > 0 { energy += v * log(v) }
            }
            let ones = [Float](repeating: 1, count: pixels)
            for kernel in kernels {
                let r = message(kernel, ones, channels: 1)
                let m = message(kernel, q, channels: labels)
                var pair = 0.0
                for i in 0..<pixels {
                    var qm = 0.0
                    for l in 0..<labels { qm += Double(q[i * labels + l]) * Double(m[i * labels + l]) }
                    pair += Double(r[i]) - qm
                }
                energy += Double(kernel.weight) * 0.5 * pair
            }
            return energy
        }
    }
}

/// Softmax of the `count` values at `row`, in place: the maximum, eˣ⁻ᵐᵃˣ and the sum eight values at a
/// time (`denseCRFExp8`, identical to `denseCRFExp` per lane), the remaining values one by one, then the
/// normalisation.
@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ count: Int) {
    let raw = UnsafeMutableRawPointer(row)
    let full = count / 8 * 8
    var mx = row[0]
    if full > 0 {
        var m8 = raw.loadUnaligned(as: SIMD8<Float>.self)
        var l = 8
        while l < full {
            let v = raw.loadUnaligned(fromByteOffset: l * 4, as: SIMD8<Float>.self)
            m8 = m8.replacing(with: v, where: v .> m8)
            l += 8
        }
        for k in 0..<8 { mx = max(mx, m8[k]) }
    }
    for l in full..<count { mx = max(mx, row[l]) }
    let mx8 = SIMD8<Float>(repeating: mx)
    var sum8 = SIMD8<Float>(repeating: 0)
    var l = 0
    while l < full {
        let e = denseCRFExp8(raw.loadUnaligned(fromByteOffset: l * 4, as: SIMD8<Float>.self) - mx8)
        raw.storeBytes(of: e, toByteOffset: l * 4, as: SIMD8<Float>.self)
        sum8 += e
        l += 8
    }
    var sum = sum8.sum()
    for l in full..<count {
        let e = denseCRFExp(row[l] - mx)
        row[l] = e
        sum += e
    }
    let inv = 1 / sum
    let inv8 = SIMD8<Float>(repeating: inv)
    l = 0
    while l < full {
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: l * 4, as: SIMD8<Float>.self) * inv8,
                       toByteOffset: l * 4, as: SIMD8<Float>.self)
        l += 8
    }
    for l in full..<count { row[l] *= inv }
}

/// `denseCRFExp` on eight lanes (the same operations lane by lane, so the same values).
@inline(__always)
func denseCRFExp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let y = x.replacing(with: -87, where: x .< -87) * 1.442_695_040_888_963_4
    let shifted = y + 12_582_912
    let n = shifted - 12_582_912
    let f = (y - n) * 0.693_147_180_559_945_3
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * f + 1.0 / 720
    p = p * f + 1.0 / 120
    p = p * f + 1.0 / 24
    p = p * f + 1.0 / 6
    p = p * f + 0.5
    p = p * f + 1
    p = p * f + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// eˣ for x ≤ 0 (clamped below at −87, ~1.6e-38), relative error ≲ 4e-6 (from rounding x·log₂e in Float):
/// eˣ = 2ⁿ · 2ᶠ with n = round(x·log₂e), f ∈ [−½, ½], 2ᶠ by its degree-7 Taylor polynomial
/// (truncation < 5e-9) and 2ⁿ built in the exponent bits. Inlined in the softmax loop instead of `expf`.
///
/// n is rounded as (y + 1.5·2²³) − 1.5·2²³ (to nearest, ties to even, exact for |y| < 2²²; here
/// |y| ≤ 126): the sum's float bits are then 0x4B40_0000 + n, so 2ⁿ's bits are
/// (bits − 0x4B40_0000 + 127) << 23. No rounding call (baseline x86-64 has no SSE4.1 `roundps`, and
/// `rounded()` becomes a libm call per value) and no checked float-to-integer conversion, so loops over
/// it vectorize.
@inline(__always)
func denseCRFExp(_ x: Float) -> Float {
    let y = max(x, -87) * 1.442_695_040_888_963_4
    let shifted = y + 12_582_912
    let n = shifted - 12_582_912
    let f = (y - n) * 0.693_147_180_559_945_3
    var p: Float = 1.0 / 5040
    p = p * f + 1.0 / 720
    p = p * f + 1.0 / 120
    p = p * f + 1.0 / 24
    p = p * f + 1.0 / 6
    p = p * f + 0.5
    p = p * f + 1
    p = p * f + 1
    return p * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
}
