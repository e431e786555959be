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
