import XCTest
@testable import Engine

/// conv → relu → maxpool → conv → relu → Gram style loss, differentiated with the kernels'
/// backward passes and checked against central differences of the whole chain.
final class ComposedChainGradientTests: XCTestCase {
    func testChainGradient() {
        var rng = TestRandom(seed: 77)
        let c0 = 3, c1 = 8, c2 = 6, h = 10, w = 12
        let conv1 = Conv3x3Layer(weights: rng.array(c1 * c0 * 9, scale: 0.4), bias: rng.array(c1, scale: 0.1),
                                 inChannels: c0, outChannels: c1)
        let conv2 = Conv3x3Layer(weights: rng.array(c2 * c1 * 9, scale: 0.4), bias: rng.array(c2, scale: 0.1),
                                 inChannels: c1, outChannels: c2)
        let target = Gram.compute(rng.tensor(c2, h / 2, w / 2, scale: 0.5))
        let x = rng.tensor(c0, h, w)

        func loss(_ xs: [Float], gradient: UnsafeMutablePointer<Tensor>) -> Double {
            let input = Tensor(channels: c0, height: h, width: w, data: xs)
            var a1 = Tensor(channels: 0, height: 0, width: 0), p1 = a1, a2 = a1
            conv1.forward(input, relu: true, into: &a1)
            Pool2x2.forward(a1, kind: .max, into: &p1)
            conv2.forward(p1, relu: true, into: &a2)
            var g2 = Tensor(channels: c2, height: h / 2, width: w / 2)
            let e = Gram.styleLoss(features: a2, target: target, weight: 10, accumulatingGradientInto: &g2)
            ReLU.backward(output: a2, gradient: &g2)
            var gp1 = Tensor(channels: 0, height: 0, width: 0), ga1 = gp1
            conv2.backwardInput(g2, into: &gp1)
            Pool2x2.backward(input: a1, output: p1, gradient: gp1, kind: .max, into: &ga1)
            ReLU.backward(output: a1, gradient: &ga1)
            conv1.backwardInput(ga1, into: &gradient.pointee)
            return Double(e)
        }

        /// The same chain evaluated entirely in double precision (plain loops), so that the
        /// finite differences carry no float32 or Winograd rounding noise.
        func conv(_ x: [Double], _ layer: Conv3x3Layer, h: Int, w: Int) -> [Double] {
            let ci = layer.inChannels, co = layer.outChannels
            var y = [Double](repeating: 0, count: co * h * w)
            for o in 0..<co {
                for yy in 0..<h {
                    for xx in 0..<w {
                        var s = Double(layer.bias[o])
                        for i in 0..<ci {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let sy = yy + ky - 1, sx = xx + kx - 1
                                    if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                                    s += Double(layer.weights[((o * ci + i) * 3 + ky) * 3 + kx]) * x[(i * h + sy) * w + sx]
                                }
                            }
                        }
                        y[(o * h + yy) * w + xx] = max(s, 0)
                    }
                }
            }
            return y
        }
        func lossInDouble(_ x: [Double]) -> Double {
            let a1 = conv(x, conv1, h: h, w: w)
            let ph = h / 2, pw = w / 2
            var p1 = [Double](repeating: 0, count: c1 * ph * pw)
            for c in 0..<c1 {
                for yy in 0..<ph {
                    for xx in 0..<pw {
                        let i = (c * h + 2 * yy) * w + 2 * xx
                        p1[(c * ph + yy) * pw + xx] = max(max(a1[i], a1[i + 1]), max(a1[i + w], a1[i + w + 1]))
                    }
                }
            }
            let f = conv(p1, conv2, h: ph, w: pw)
            let n = ph * pw
            var e = 0.0
            for i in 0..<c2 {
                for j in 0..<c2 {
                    var g = 0.0
                    for p in 0..<n { g += f[i * n + p] * f[j * n + p] }
                    e += pow(g / Double(n) - Double(target[i * c2 + j]), 2)
                }
            }
            return e / Double(c2 * c2)
        }

        var grad = Tensor(channels: 0, height: 0, width: 0)
        let e = loss(x.data, gradient: &grad)
        XCTAssertGreaterThan(e, 0)
        XCTAssertEqual(grad.count, x.count)
        // Directional derivatives along random directions v: (f(x + εv) − f(x − εv)) / 2ε vs ⟨∇f, v⟩,
        // with f in double precision. Per-coordinate differences are unreliable through a
        // ReLU/max-pool chain (a perturbation crossing a kink changes the slope); a small ε in
        // double keeps crossings rare and rounding negligible, so the remaining mismatch is the
        // float32/Winograd error of the analytic gradient (observed ≲ 1e-4 relative).
        let eps = 1e-6
        for _ in 0..<8 {
            let v = rng.array(x.count).map(Double.init)
            let x64 = x.data.map(Double.init)
            let plus = zip(x64, v).map { $0 + eps * $1 }
            let minus = zip(x64, v).map { $0 - eps * $1 }
            let numeric = (lossInDouble(plus) - lossInDouble(minus)) * 10 / (2 * eps)
            var analytic = 0.0
            for i in 0..<x.count { analytic += Double(grad.data[i]) * v[i] }
            XCTAssertGreaterThan(abs(analytic), 1e-2)
            XCTAssertEqual(numeric, analytic, accuracy: 2e-3 * abs(analytic), "directional derivative")
        }
    }
}
