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

    private static let g: [[Double]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]

    /// Transforms a bank of 3×3 kernels into the layout the GEMMs want: `[ξ][rows][columns]`,
    /// 36 × rows × columns floats, where `kernel(row, column, ky, kx)` is the tap that multiplies
    /// input channel `column` to produce output channel `row`. Computed in double precision.
    static func transformKernels(rows: Int, columns: Int,
                                 kernel: (_ row: Int, _ column: Int, _ ky: Int, _ kx: Int) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: positions * rows * columns)
        var tap = [Double](repeating: 0, count: 9)
        var gg = [Double](repeating: 0, count: 18)   // G·g, 6×3
        out.withUnsafeMutableBufferPointer { u in
            for r in 0..<rows {
                for c in 0..<columns {
                    for ky in 0..<3 { for kx in 0..<3 { tap[ky * 3 + kx] = Double(kernel(r, c, ky, kx)) } }
                    for i in 0..<6 {
                        for kx in 0..<3 {
                            gg[i * 3 + kx] = g[i][0] * tap[kx] + g[i][1] * tap[3 + kx] + g[i][2] * tap[6 + kx]
                        }
                    }
                    for i in 0..<6 {
                        for j in 0..<6 {
                            let v = gg[i * 3] * g[j][0] + gg[i * 3 + 1] * g[j][1] + gg[i * 3 + 2] * g[j][2]
                            u[((i * 6 + j) * rows + r) * columns + c] = Float(v)
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
