import XCTest
@testable import Engine

final class GramTests: XCTestCase {
    func testComputeMatchesDefinition() {
        var rng = TestRandom(seed: 1)
        let c = 5, h = 7, w = 3
        let f = rng.tensor(c, h, w)
        let g = Gram.compute(f)
        XCTAssertEqual(g.count, c * c)
        for i in 0..<c {
            for j in 0..<c {
                var s = 0.0
                for p in 0..<(h * w) { s += Double(f.data[i * h * w + p]) * Double(f.data[j * h * w + p]) }
                XCTAssertEqual(Double(g[i * c + j]), s / Double(h * w), accuracy: 1e-5)
            }
        }
    }

    func testStyleLossValueAndGradient() {
        var rng = TestRandom(seed: 2)
        let c = 6, h = 5, w = 4
        let f = rng.tensor(c, h, w)
        let target = Gram.compute(rng.tensor(c, h, w))
        let weight: Float = 3.5

        // E by hand: (1/C²) Σ (G − A)².
        let g = Gram.compute(f)
        var e = 0.0
        for k in 0..<(c * c) { e += pow(Double(g[k] - target[k]), 2) }
        let loss = Gram.styleLoss(features: f, target: target, weight: weight)
        XCTAssertEqual(Double(loss), Double(weight) * e / Double(c * c), accuracy: 1e-6 * max(1, Double(loss)))

        var grad = rng.tensor(c, h, w)                            // nonzero: the gradient must be ADDED
        let initial = grad.data
        let loss2 = Gram.styleLoss(features: f, target: target, weight: weight, accumulatingGradientInto: &grad)
        XCTAssertEqual(loss, loss2)
        let analytic = zip(grad.data, initial).map { $0 - $1 }
        checkGradient(at: f.data, analytic: analytic, probes: Array(0..<f.count), eps: 1e-2, tolerance: 2e-3) { xs in
            Double(Gram.styleLoss(features: Tensor(channels: c, height: h, width: w, data: xs), target: target, weight: weight))
        }

        // The pointer-style entry point agrees.
        var grad3 = Tensor(channels: c, height: h, width: w)
        let loss3 = withUnsafeMutablePointer(to: &grad3) { Gram.styleLoss(features: f, target: target, weight: weight, gradient: $0) }
        XCTAssertEqual(loss3, loss)
        XCTAssertLessThan(relativeMaxError(grad3.data, analytic), 1e-5)
        XCTAssertEqual(Gram.styleLoss(features: f, target: target, weight: weight, gradient: nil), loss)
    }
}

final class GramParallelTests: XCTestCase {
    /// Large enough (H·W ≥ 8192) for the pixel range to be split over workers.
    func testLargeGramAndGradientMatchDoublePrecisionForAnyThreadCount() {
        var rng = TestRandom(seed: 40)
        let c = 6, h = 96, w = 97, n = h * w
        let f = rng.tensor(c, h, w)
        let target = rng.array(c * c, scale: 0.1)
        var expectedG = [Double](repeating: 0, count: c * c)
        for i in 0..<c { for j in 0..<c {
            var s = 0.0
            for p in 0..<n { s += Double(f.data[i * n + p]) * Double(f.data[j * n + p]) }
            expectedG[i * c + j] = s / Double(n)
        } }
        // ∂E/∂F = 4/(C²·n) (G − A) F, evaluated in double for a few pixels.
        let probes = [0, 1, n / 2, n - 1, 4095, 4096, 8191]
        let saved = EngineThreads.count
        defer { EngineThreads.set(saved) }
        for threads in [1, 2, 3] {
            EngineThreads.set(threads)
            let g = Gram.compute(f)
            for k in 0..<(c * c) { XCTAssertEqual(Double(g[k]), expectedG[k], accuracy: 1e-5, "threads \(threads)") }
            XCTAssertEqual(g, Gram.compute(f), "deterministic")
            var grad = Tensor(channels: c, height: h, width: w)
            _ = Gram.styleLoss(features: f, target: target, weight: 2, accumulatingGradientInto: &grad)
            for i in 0..<c {
                for p in probes {
                    var s = 0.0
                    for j in 0..<c { s += (expectedG[i * c + j] - Double(target[i * c + j])) * Double(f.data[j * n + p]) }
                    let expected = 2 * 4 / Double(c * c * n) * s
                    XCTAssertEqual(Double(grad.data[i * n + p]), expected, accuracy: 1e-4 * abs(expected) + 1e-9)
                }
            }
        }
    }
}
