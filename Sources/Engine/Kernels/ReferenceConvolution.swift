/// Plain-loop 3×3, stride-1, pad-1 convolution (cross-correlation) with double accumulation:
/// the correctness oracle for the fast kernels. Weights are OIHW. Slow; for tests only.
public enum ReferenceConvolution {
    /// y[o,y,x] = bias[o] + Σ_{i,ky,kx} w[o,i,ky,kx] · x[i, y+ky−1, x+kx−1] (zero outside), then ReLU if `relu`.
    public static func forward(_ x: Tensor, weights: [Float], bias: [Float], inChannels: Int, outChannels: Int,
                               relu: Bool = false) -> Tensor {
        precondition(x.channels == inChannels && weights.count == outChannels * inChannels * 9 && bias.count == outChannels)
        let h = x.height, w = x.width
        var acc = [Double](repeating: 0, count: outChannels * h * w)
        for o in 0..<outChannels {
            for p in 0..<(h * w) { acc[o * h * w + p] = Double(bias[o]) }
            for i in 0..<inChannels {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let tap = Double(weights[((o * inChannels + i) * 3 + ky) * 3 + kx])
                        for yy in 0..<h {
                            let sy = yy + ky - 1
                            if sy < 0 || sy >= h { continue }
                            for xx in 0..<w {
                                let sx = xx + kx - 1
                                if sx < 0 || sx >= w { continue }
                                acc[(o * h + yy) * w + xx] += tap * Double(x.data[(i * h + sy) * w + sx])
                            }
                        }
                    }
                }
            }
        }
        return Tensor(channels: outChannels, height: h, width: w,
                      data: acc.map { relu ? Float(max($0, 0)) : Float($0) })
    }

    /// The adjoint of `forward` (without bias) with respect to x: scatters every dy[o,y,x] back
    /// through the taps, dx[i, y+ky−1, x+kx−1] += w[o,i,ky,kx] · dy[o,y,x].
    public static func backwardInput(_ dy: Tensor, weights: [Float], inChannels: Int, outChannels: Int) -> Tensor {
        precondition(dy.channels == outChannels && weights.count == outChannels * inChannels * 9)
        let h = dy.height, w = dy.width
        var acc = [Double](repeating: 0, count: inChannels * h * w)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let tap = Double(weights[((o * inChannels + i) * 3 + ky) * 3 + kx])
                        for yy in 0..<h {
                            let sy = yy + ky - 1
                            if sy < 0 || sy >= h { continue }
                            for xx in 0..<w {
                                let sx = xx + kx - 1
                                if sx < 0 || sx >= w { continue }
                                acc[(i * h + sy) * w + sx] += tap * Double(dy.data[(o * h + yy) * w + xx])
                            }
                        }
                    }
                }
            }
        }
        return Tensor(channels: inChannels, height: h, width: w, data: acc.map { Float($0) })
    }
}
