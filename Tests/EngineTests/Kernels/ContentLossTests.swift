import XCTest
@testable import Engine

final class ContentLossTests: XCTestCase {
    func testValueAndGradient() {
        var rng = TestRandom(seed: 11)
        let c = 4, h = 3, w = 5
        let f = rng.tensor(c, h, w), p = rng.tensor(c, h, w)
        let weight: Float = 2.5
        var e = 0.0
        for i in 0..<f.count { e += pow(Double(f.data[i] - p.data[i]), 2) }
        let loss = ContentLoss.loss(features: f, target: p, weight: weight)
        XCTAssertEqual(Double(loss), 2.5 * e / Double(c * h * w), accuracy: 1e-6)

        var grad = Tensor(channels: c, height: h, width: w, data: [Float](repeating: 1, count: c * h * w))
        XCTAssertEqual(ContentLoss.loss(features: f, target: p, weight: weight, accumulatingGradientInto: &grad), loss)
        let analytic = grad.data.map { $0 - 1 }
        // The loss is quadratic, so central differences are exact for any eps: a large eps keeps
        // float32 rounding of the loss out of the comparison.
        checkGradient(at: f.data, analytic: analytic, probes: Array(0..<f.count), eps: 0.5, tolerance: 1e-3,
                      floor: 1e-2 * Double(analytic.map(abs).max()!)) { xs in
            Double(ContentLoss.loss(features: Tensor(channels: c, height: h, width: w, data: xs), target: p, weight: weight))
        }
    }
}
