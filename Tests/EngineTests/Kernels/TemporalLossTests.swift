import XCTest
@testable import Engine

final class TemporalLossTests: XCTestCase {
    func testValueOnSmallImage() {
        // 2 channels × 1×2 pixels, certainty (1, 0.5): (1·(1−0)² + 0.5·(3−1)²) + (1·(0−2)² + 0.5·(5−5)²) = 3 + 4 = 7, / D = 4.
        let x = Tensor(channels: 2, height: 1, width: 2, data: [1, 3, 0, 5])
        let t = Tensor(channels: 2, height: 1, width: 2, data: [0, 1, 2, 5])
        XCTAssertEqual(TemporalLoss.loss(x, warped: t, certainty: [1, 0.5], weight: 2), 2 * 7 / 4)
    }

    func testGradientMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 21)
        let c = 3, h = 5, w = 6
        let x = rng.tensor(c, h, w)
        let target = rng.tensor(c, h, w)
        let certainty = (0..<(h * w)).map { _ in rng.next(0.5) + 0.5 }
        var grad = Tensor(channels: c, height: h, width: w, data: [Float](repeating: 0.25, count: c * h * w))
        let value = TemporalLoss.loss(x, warped: target, certainty: certainty, weight: 3, accumulatingGradientInto: &grad)
        XCTAssertEqual(value, TemporalLoss.loss(x, warped: target, certainty: certainty, weight: 3))
        let analytic = grad.data.map { $0 - 0.25 }
        checkGradient(at: x.data, analytic: analytic, probes: Array(0..<x.count), eps: 0.5, tolerance: 1e-3,
                      floor: 1e-2 * Double(analytic.map(abs).max()!)) { xs in
            Double(TemporalLoss.loss(Tensor(channels: c, height: h, width: w, data: xs), warped: target,
                                     certainty: certainty, weight: 3))
        }
    }

    func testDefaultWeightFollowsRuderRatio() {
        XCTAssertEqual(TemporalLoss.defaultWeight(contentWeight: 1), 200)
        XCTAssertEqual(TemporalLoss.defaultWeight(contentWeight: 5), 1000)
    }
}
