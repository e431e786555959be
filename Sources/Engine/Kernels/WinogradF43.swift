/// Winograd minimal filtering F(4×4, 3×3) transforms (Lavin & Gray, "Fast Algorithms for
/// Convolutional Neural Networks", CVPR 2016, §4; interpolation points 0, ±1, ±2, ∞).
///
/// A 4×4 output tile of a 3×3 cross-correlation is Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, where d is the
/// 6×6 input tile (overlapping its neighbours by 2), g the 3×3 kernel:
///
///     Bᵀ = [ 4  0 -5  0  1  0 ]    G = [  1/4     0     0  ]    Aᵀ = [ 1  1  1  1  1  0 ]
///          [ 0 -4 -4  1  1  0 ]        [ -1/6  -1/6  -1/6  ]         [ 0  1 -1  2 -2  0 ]
///          [ 0  4 -4 -1  1  0 ]        [ -1/6   1/6  -1/6  ]         [ 0  1  1  4  4  0 ]
///          [ 0 -2 -1  2  1  0 ]        [ 1/24  1/12   1/6  ]         [ 0  1 -1  8 -8  1 ]
///          [ 0  2 -1 -2  1  0 ]        [ 1/24 -1/12   1/6  ]
///          [ 0  4  0 -5  0  1 ]        [   0     0     1   ]
///
/// Summed over input channels, the element-wise products become 36 independent GEMMs
/// (one per transform-domain position ξ = 6·i + j): M_ξ = U_ξ (Cout×Cin) · V_ξ (Cin×tiles).
/// Multiplications per output: 36/16 = 2.25 instead of 9 (4× fewer GEMM flops).
enum WinogradF43 {
    static let outputTile = 4
    static let inputTile = 6
    static let positions = 36

    /// G, row-major 6×3.
    private static let g: [Double] = [
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    ]

    /// Transforms a bank of 3×3 kernels into the layout the GEMMs want: `[ξ][rows][columns]`,
    /// 36 × rows × columns floats, where `kernel(row, column, ky, kx)` is the tap that multiplies
    /// input channel `column` to produce output channel `row`. U = G g Gᵀ in double precision,
    /// rows split over the engine threads.
    static func transformKernels(rows: Int, columns: Int,
                                 kernel: (_ row: Int, _ column: Int, _ ky: Int, _ kx: Int) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: positions * rows * columns)
        let plane = rows * columns
        out.withUnsafeMutableBufferPointer { ub in
            let u = ub.baseAddress
            g.withUnsafeBufferPointer { gb in
                let gm = gb.baseAddress!
                ParallelLoop.forEachChunk(count: rows) { rowRange in
                    var tap = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                    var gg = [Double](repeating: 0, count: 18)     // G·g, 6×3 (one allocation per chunk)
                    gg.withUnsafeMutableBufferPointer { ggb in
                        let t = ggb.baseAddress!
                        for r in rowRange {
                            for c in 0..<columns {
                                withUnsafeMutableBytes(of: &tap) { raw in
                                    let k = raw.baseAddress!.assumingMemoryBound(to: Double.self)
                                    for ky in 0..<3 { for kx in 0..<3 { k[ky * 3 + kx] = Double(kernel(r, c, ky, kx)) } }
                                    for i in 0..<6 {
                                        for kx in 0..<3 {
                                            t[i * 3 + kx] = gm[i * 3] * k[kx] + gm[i * 3 + 1] * k[3 + kx] + gm[i * 3 + 2] * k[6 + kx]
                                        }
                                    }
                                }
                                for i in 0..<6 {
                                    for j in 0..<6 {
                                        let v = t[i * 3] * gm[j * 3] + t[i * 3 + 1] * gm[j * 3 + 1] + t[i * 3 + 2] * gm[j * 3 + 2]
                                        u![(i * 6 + j) * plane + r * columns + c] = Float(v)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// (Bᵀ d) for six vectors d0…d5 (one column of six tile rows, or one row of six columns).
    @inline(__always)
    static func inputTransform(_ d0: SIMD4<Float>, _ d1: SIMD4<Float>, _ d2: SIMD4<Float>,
                               _ d3: SIMD4<Float>, _ d4: SIMD4<Float>, _ d5: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let r0 = 4 * d0 - 5 * d2 + d4
        let r1 = (d3 + d4) - 4 * (d1 + d2)
        let r2 = 4 * (d1 - d2) + (d4 - d3)
        let r3 = 2 * (d3 - d1) + (d4 - d2)
        let r4 = 2 * (d1 - d3) + (d4 - d2)
        let r5 = 4 * d1 - 5 * d3 + d5
        return (r0, r1, r2, r3, r4, r5)
    }

    /// (Aᵀ m) for six vectors m0…m5.
    @inline(__always)
    static func outputTransform(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>,
                                _ m3: SIMD4<Float>, _ m4: SIMD4<Float>, _ m5: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let s12 = m1 + m2, d12 = m1 - m2
        let s34 = m3 + m4, d34 = m3 - m4
        return (m0 + s12 + s34,
                d12 + 2 * d34,
                s12 + 4 * s34,
                d12 + 8 * d34 + m5)
    }
}
