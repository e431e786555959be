import XCTest
@testable import Engine

final class Pool2x2Tests: XCTestCase {
    func testForwardFloorModeValues() {
        // 1×3×5: the last row and column are dropped.
        let x = Tensor(channels: 1, height: 3, width: 5, data: [1, 2, 3, 4, 99,
                                                                 5, 6, -7, 8, 99,
                                                                 99, 99, 99, 99, 99])
        var y = Tensor(channels: 0, height: 0, width: 0)
        Pool2x2.forward(x, kind: .max, into: &y)
        XCTAssertEqual([y.channels, y.height, y.width], [1, 1, 2])
        XCTAssertEqual(y.data, [6, 8])
        Pool2x2.forward(x, kind: .average, into: &y)
        XCTAssertEqual(y.data, [3.5, 2])
    }

    func testMaxBackwardRoutesToFirstMaximumOnTies() {
        let x = Tensor(channels: 1, height: 2, width: 2, data: [1, 5, 5, 5])
        let y = Tensor(channels: 1, height: 1, width: 1, data: [5])
        var dx = Tensor(channels: 0, height: 0, width: 0)
        Pool2x2.backward(input: x, output: y, gradient: Tensor(channels: 1, height: 1, width: 1, data: [2]),
                         kind: .max, into: &dx)
        XCTAssertEqual(dx.data, [0, 2, 0, 0])
    }

    private func checkBackward(kind: PoolingKind, c: Int, h: Int, w: Int, seed: UInt64) {
        var rng = TestRandom(seed: seed)
        // Distinct values (a shuffled ramp plus noise) so max pooling has no ties.
        var values = (0..<(c * h * w)).map { Float($0) * 0.01 }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int((rng.next() + 1) / 2 * Float(i + 1)) % (i + 1)
            values.swapAt(i, j)
        }
        let x = Tensor(channels: c, height: h, width: w, data: values)
        var y = Tensor(channels: 0, height: 0, width: 0)
        Pool2x2.forward(x, kind: kind, into: &y)
        let r = rng.array(y.count)
        var dx = Tensor(channels: 0, height: 0, width: 0)
        Pool2x2.backward(input: x, output: y, gradient: Tensor(channels: c, height: h / 2, width: w / 2, data: r),
                         kind: kind, into: &dx)
        XCTAssertEqual(dx.count, x.count)
        // eps below half the smallest gap between values keeps the argmax fixed.
        checkGradient(at: x.data, analytic: dx.data, probes: Array(0..<x.count), eps: 2e-3, tolerance: 1e-2) { xs in
            var t = Tensor(channels: 0, height: 0, width: 0)
            Pool2x2.forward(Tensor(channels: c, height: h, width: w, data: xs), kind: kind, into: &t)
            return dot(r, t.data)
        }
    }

    func testMaxBackwardMatchesFiniteDifferences() {
        checkBackward(kind: .max, c: 3, h: 6, w: 8, seed: 1)
        checkBackward(kind: .max, c: 2, h: 7, w: 5, seed: 2)
    }

    func testAverageBackwardMatchesFiniteDifferences() {
        checkBackward(kind: .average, c: 3, h: 6, w: 8, seed: 3)
        checkBackward(kind: .average, c: 2, h: 5, w: 9, seed: 4)
    }
}
