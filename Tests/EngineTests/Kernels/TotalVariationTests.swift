import XCTest
@testable import Engine

final class TotalVariationTests: XCTestCase {
    func testValueOnSmallImage() {
        // 1×2×2 [[0, 1], [3, 7]]: horizontal (1)² + (4)², vertical (3)² + (6)² → 62 / 4.
        let x = Tensor(channels: 1, height: 2, width: 2, data: [0, 1, 3, 7])
        XCTAssertEqual(TotalVariation.loss(x, weight: 2), 2 * 62 / 4)
    }

    func testGradientMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 12)
        let c = 3, h = 5, w = 4
        let x = rng.tensor(c, h, w)
        var grad = Tensor(channels: c, height: h, width: w, data: [Float](repeating: -0.5, count: c * h * w))
        let loss = TotalVariation.loss(x, weight: 0.7, accumulatingGradientInto: &grad)
        XCTAssertEqual(loss, TotalVariation.loss(x, weight: 0.7))
        let analytic = grad.data.map { $0 + 0.5 }
        // Quadratic loss: central differences are exact, so a large eps avoids float32 rounding noise.
        checkGradient(at: x.data, analytic: analytic, probes: Array(0..<x.count), eps: 0.5, tolerance: 1e-3,
                      floor: 1e-2 * Double(analytic.map(abs).max()!)) { xs in
            Double(TotalVariation.loss(Tensor(channels: c, height: h, width: w, data: xs), weight: 0.7))
        }
    }
}
