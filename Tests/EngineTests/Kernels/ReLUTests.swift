import XCTest
@testable import Engine

final class ReLUTests: XCTestCase {
    func testForwardClampsNegatives() {
        var x = Tensor(channels: 1, height: 2, width: 3, data: [-2, -0.0, 0.5, 3, -1e-9, 7])
        ReLU.forward(&x)
        XCTAssertEqual(x.data, [0, 0, 0.5, 3, 0, 7])
    }

    func testBackwardMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 3)
        var x = rng.tensor(3, 5, 6)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.3 }   // keep away from the kink
        let r = rng.array(x.count)
        var y = x
        ReLU.forward(&y)
        var g = Tensor(channels: 3, height: 5, width: 6, data: r)
        ReLU.backward(output: y, gradient: &g)
        checkGradient(at: x.data, analytic: g.data, probes: Array(0..<x.count), eps: 1e-2, tolerance: 1e-3) { xs in
            var t = Tensor(channels: 3, height: 5, width: 6, data: xs)
            ReLU.forward(&t)
            return dot(r, t.data)
        }
    }

    func testLargeTensorParallelPathMatchesScalar() {
        var rng = TestRandom(seed: 4)
        var x = rng.tensor(3, 300, 301)
        let expected = x.data.map { max($0, 0) }
        ReLU.forward(&x)
        XCTAssertEqual(x.data, expected)
    }
}
