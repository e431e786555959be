/// Gram matrices and the Gatys style loss (Gatys, Ecker & Bethge 2016, eqs. 3–5, with the
/// normalizations below).
public enum Gram {
    /// G = F·Fᵀ / (H·W), F = features reshaped C × (H·W). Returns C×C row-major (symmetric).
    /// (OpenBLAS's own threads are avoided: they spin after each call and slow the Dispatch loops
    /// that follow.)
    public static func compute(_ features: Tensor) -> [Float] {
        let c = features.channels, n = features.planeSize
        var g = [Float](repeating: 0, count: c * c)
        if c == 0 || n == 0 { return g }
        features.data.withUnsafeBufferPointer { fb in
            g.withUnsafeMutableBufferPointer { gb in
                product(fb.baseAddress!, channels: c, pixels: n, alpha: 1 / Float(n), into: gb.baseAddress!)
            }
        }
        return g
    }

    /// g = alpha·F·Fᵀ for F (C × n, row stride n) into the C×C buffer `g` (both triangles written).
    ///
    /// The pixel range is split into `EngineThreads.count` fixed chunks; each worker runs a
    /// single-threaded `ssyrk` (upper triangle) on its chunk and the partial products are summed in
    /// chunk order, so the result is deterministic for a given thread count.
    static func product(_ fp: UnsafePointer<Float>, channels c: Int, pixels n: Int, alpha: Float,
                        into gp: UnsafeMutablePointer<Float>) {
        let workers = max(1, min(EngineThreads.count, n / 4096))
        let chunk = (n + workers - 1) / workers
        ScratchPool.shared.withBuffer(capacity: max(0, workers - 1) * c * c) { partials in
            BLAS.withSingleThreadedBLAS {
                ParallelLoop.run(workers: workers) { w in
                    let start = w * chunk, count = min(n, start + chunk) - start
                    let out = w == 0 ? gp : partials + (w - 1) * c * c
                    if count <= 0 { out.update(repeating: 0, count: c * c); return }
                    BLAS.ssyrkUpper(n: c, k: count, alpha: alpha, a: fp + start, lda: n,
                                    beta: 0, c: out, ldc: c)
                }
            }
            for w in 1..<max(1, workers) {
                let p = partials + (w - 1) * c * c
                for i in 0..<c { for j in i..<c { gp[i * c + j] += p[i * c + j] } }
            }
        }
        for i in 0..<c { for j in 0..<i { gp[i * c + j] = gp[j * c + i] } }
    }

    /// gradient += alpha·D·F for the C×C matrix D and F (C × n, row stride n). Column blocks of F (and
    /// of the gradient) are independent: one single-threaded `sgemm` per worker, beta = 1.
    static func addProduct(_ dp: UnsafePointer<Float>, _ fp: UnsafePointer<Float>, channels c: Int, pixels n: Int,
                           alpha: Float, into gp: UnsafeMutablePointer<Float>) {
        let workers = max(1, min(EngineThreads.count, n / 4096))
        let chunk = ((n + workers - 1) / workers + 15) & ~15
        BLAS.withSingleThreadedBLAS {
            ParallelLoop.run(workers: workers) { w in
                let start = w * chunk, count = min(n, start + chunk) - start
                if count <= 0 { return }
                BLAS.sgemm(m: c, n: count, k: c, alpha: alpha, a: dp, lda: c,
                           b: fp + start, ldb: n, beta: 1, c: gp + start, ldc: n)
            }
        }
    }

    /// Style loss weight·E with E = (1/C²) Σ_ij (G − A)_ij², A the C×C target Gram matrix.
    public static func styleLoss(features: Tensor, target: [Float], weight: Float) -> Float {
        let g = compute(features)
        return weight * Float(sumOfSquaredDifferences(g, target) / Double(features.channels * features.channels))
    }

    /// As `styleLoss(features:target:weight:)`, and ADDS weight·∂E/∂F to `gradient`, where
    /// ∂E/∂F = (4 / (C²·H·W)) (G − A) F  (G − A symmetric; one `sgemm`, beta = 1).
    public static func styleLoss(features: Tensor, target: [Float], weight: Float,
                                 accumulatingGradientInto gradient: inout Tensor) -> Float {
        precondition(gradient.hasSameShape(as: features), "Gram.styleLoss: gradient shape mismatch")
        let c = features.channels, n = features.planeSize
        var diff = compute(features)
        precondition(target.count == c * c, "Gram.styleLoss: target must be C×C")
        let e = sumOfSquaredDifferences(diff, target) / Double(c * c)
        if c > 0 && n > 0 {
            for j in 0..<diff.count { diff[j] -= target[j] }
            let alpha = weight * 4 / (Float(c * c) * Float(n))
            diff.withUnsafeBufferPointer { db in
                features.data.withUnsafeBufferPointer { fb in
                    gradient.data.withUnsafeMutableBufferPointer { gb in
                        addProduct(db.baseAddress!, fb.baseAddress!, channels: c, pixels: n, alpha: alpha, into: gb.baseAddress!)
                    }
                }
            }
        }
        return weight * Float(e)
    }

    /// The signature from the engine design note: loss only when `gradient` is nil.
    public static func styleLoss(features: Tensor, target: [Float], weight: Float,
                                 gradient: UnsafeMutablePointer<Tensor>?) -> Float {
        if let gradient {
            return styleLoss(features: features, target: target, weight: weight, accumulatingGradientInto: &gradient.pointee)
        }
        return styleLoss(features: features, target: target, weight: weight)
    }

    static func sumOfSquaredDifferences(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "Gram: target must be C×C")
        var s = 0.0
        for j in 0..<a.count {
            let d = Double(a[j]) - Double(b[j])
            s += d * d
        }
        return s
    }
}
