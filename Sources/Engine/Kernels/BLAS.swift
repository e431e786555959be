import CBLAS

/// The only place that calls OpenBLAS. All matrices are row-major float32.
enum BLAS {
    static func setThreadCount(_ n: Int) {
        openblas_set_num_threads(Int32(n))
    }

    /// Runs `body` with OpenBLAS limited to one thread (for GEMMs issued concurrently from several
    /// Dispatch workers), then restores `EngineThreads.count`.
    static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        let restore = EngineThreads.count
        if restore == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(restore)) }
        return try body()
    }

    /// C = alpha · op(A) · op(B) + beta · C, with op(A) m×k, op(B) k×n, C m×n.
    @inline(__always)
    static func sgemm(transposeA: Bool = false, transposeB: Bool = false,
                      m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// Upper triangle of C = alpha · A · Aᵀ + beta · C, A n×k, C n×n (lower triangle untouched).
    static func ssyrkUpper(n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k),
                    alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
}
