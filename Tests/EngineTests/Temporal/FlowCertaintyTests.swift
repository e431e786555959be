import XCTest
@testable import Engine

final class FlowCertaintyTests: XCTestCase {
    /// A 12×12 square at x 10..<22, y 10..<22 of a 48×40 frame moves 10 px right over a static background;
    /// flows built by hand: forward (t−1 → t) is (10, 0) on the square's old position, backward (t → t−1)
    /// is (−10, 0) on its new position, 0 elsewhere.
    private func squareFlows() -> (forward: FlowField, backward: FlowField, w: Int, h: Int) {
        let w = 48, h = 40
        var forward = FlowField(width: w, height: h, constant: 0, 0)
        var backward = forward
        for y in 10..<22 {
            for x in 10..<22 { forward.u[y * w + x] = 10 }
            for x in 20..<32 { backward.u[y * w + x] = -10 }
        }
        return (forward, backward, w, h)
    }

    func testDisocclusionBehindAMovingSquareIsUncertain() throws {
        let (forward, backward, w, _) = squareFlows()
        let c = try FlowCertainty.ruder(forward: forward, backward: backward)
        // Uncovered strip x 10..<20: background in frame t whose backward flow (0) disagrees with the
        // square's forward flow (10) there: |w̃ + ŵ|² = 100 ≥ 0.01·100 + 0.5.
        for y in 10..<22 { for x in 10..<20 { XCTAssertEqual(c.states[y * w + x], .disoccluded, "(\(x), \(y))") } }
        // Deep inside the strip the smoothed weight stays exactly 0 (σ 0.8: radius 3 px).
        for y in 13..<19 { for x in 13..<17 { XCTAssertEqual(c.weights[y * w + x], 0, "(\(x), \(y))") } }
        // The square's interior (consistent motion) and far background are certain, weight 1.
        for (x, y) in [(25, 15), (27, 17), (2, 2), (40, 30), (5, 35)] {
            XCTAssertEqual(c.states[y * w + x], .certain, "(\(x), \(y))")
            XCTAssertEqual(c.weights[y * w + x], 1, accuracy: 1e-6, "(\(x), \(y))")
        }
        // The square's edges in the backward flow are motion boundaries: |∇û|² = 25 > 0.01·|ŵ|² + 0.002.
        XCTAssertEqual(c.states[15 * w + 20], .motionBoundary)
        XCTAssertEqual(c.states[15 * w + 31], .motionBoundary)
        XCTAssertEqual(c.states[9 * w + 25], .motionBoundary)
        // Between, the weight is smooth: strictly between 0 and 1 next to the strip's left edge.
        XCTAssertGreaterThan(c.weights[15 * w + 10], 0)
        XCTAssertLessThan(c.weights[15 * w + 10], 0.5)
    }

    func testFlowLeavingTheFrameHasZeroCertainty() throws {
        let w = 10, h = 6
        let backward = FlowField(width: w, height: h, constant: 2.5, 0)
        let forward = FlowField(width: w, height: h, constant: -2.5, 0)
        let c = try FlowCertainty.ruder(forward: forward, backward: backward)
        for y in 0..<h {
            for x in 0..<w {
                let leaves = Float(x) + 2.5 > Float(w - 1)
                XCTAssertEqual(c.states[y * w + x], leaves ? .outside : .certain, "(\(x), \(y))")
                if leaves { XCTAssertEqual(c.weights[y * w + x], 0) }
            }
        }
        XCTAssertEqual(c.weights[3 * w + 1], 1, accuracy: 1e-6)
    }

    func testMismatchedFlowsThrow() {
        XCTAssertThrowsError(try FlowCertainty.ruder(forward: FlowField(width: 3, height: 3, constant: 0, 0),
                                                     backward: FlowField(width: 4, height: 3, constant: 0, 0)))
    }
}
