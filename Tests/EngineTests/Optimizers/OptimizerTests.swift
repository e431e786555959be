import XCTest
@testable import Engine

/// Optimizers on problems with known minima.
final class OptimizerTests: XCTestCase {
    /// f(x) = Σ_i a_i (x_i − c_i)², an ill-conditioned quadratic (condition number 1e3).
    private func quadratic(_ n: Int) -> (Objective, [Float]) {
        let a = (0..<n).map { Float(1 + 999 * Double($0) / Double(max(n - 1, 1))) }
        let c = (0..<n).map { Float(sin(Double($0))) }
        let f: Objective = { x, g in
            var s: Float = 0
            for i in 0..<n { let d = x[i] - c[i]; s += a[i] * d * d; g[i] = 2 * a[i] * d }
            return s
        }
        return (f, c)
    }

    /// The n-dimensional Rosenbrock function, minimum 0 at (1, …, 1).
    private let rosenbrock: Objective = { x, g in
        var f: Float = 0
        for i in 0..<x.count { g[i] = 0 }
        for i in 0..<(x.count - 1) {
            let t1 = x[i + 1] - x[i] * x[i], t2 = 1 - x[i]
            f += 100 * t1 * t1 + t2 * t2
            g[i] += -400 * x[i] * t1 - 2 * t2
            g[i + 1] += 200 * t1
        }
        return f
    }

    func testLBFGSSolvesIllConditionedQuadratic() {
        let (f, c) = quadratic(50)
        var x = [Float](repeating: 0, count: 50)
        var lbfgs = LBFGS(history: 10)
        var values: [Float] = []
        lbfgs.minimize(&x, evaluations: 200, objective: f) { values.append($0.value); return true }
        let maxError = zip(x, c).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(maxError, 1e-3)
        XCTAssertLessThanOrEqual(values.count, 200)
    }

    func testLBFGSSolvesRosenbrock() {
        var x = [Float](repeating: -1, count: 10)
        var g = [Float](repeating: 0, count: 10)
        let start = rosenbrock(x, &g)
        var lbfgs = LBFGS(history: 8)
        lbfgs.minimize(&x, evaluations: 600, objective: rosenbrock) { _ in true }
        let end = rosenbrock(x, &g)
        XCTAssertLessThan(end, 1e-4 * start, "Rosenbrock went from \(start) to \(end)")
        for v in x { XCTAssertEqual(v, 1, accuracy: 2e-2) }
    }

    /// A wide, flat, concave start (like Gatys' objective at the content image of a large frame): every
    /// curvature pair has sᵀy < 0, the first step 1/‖g‖₁ buys less than f's float resolution, and fixed
    /// t = 1 steepest-descent steps would crawl. The wider first step and growing steps get out.
    func testLBFGSLeavesAFlatConcaveStartOfAWideProblem() {
        let n = 200_000
        func doubleWell(_ x: [Float], _ g: inout [Float]) -> Float {
            var f = 0.0
            for i in 0..<x.count {
                let v = Double(x[i]), d = v * v - 1
                f += 1e3 * d * d
                g[i] = Float(1e3 * 4 * v * d)
            }
            return Float(f)
        }
        var x = [Float](repeating: 1e-4, count: n)
        var g = [Float](repeating: 0, count: n)
        let start = doubleWell(x, &g)
        var lbfgs = LBFGS()
        var calls = 0
        lbfgs.minimize(&x, evaluations: 80, objective: { x, g in calls += 1; return doubleWell(x, &g) }) { _ in true }
        let end = doubleWell(x, &g)
        XCTAssertLessThan(end, 0.01 * start, "the double well went from \(start) to \(end) in \(calls) evaluations")
    }

    func testLBFGSRespectsBudgetAndEarlyStop() {
        let (f, _) = quadratic(20)
        var x = [Float](repeating: 0, count: 20)
        var lbfgs = LBFGS()
        var calls = 0
        lbfgs.minimize(&x, evaluations: 7, objective: { x, g in calls += 1; return f(x, &g) }) { _ in true }
        XCTAssertLessThanOrEqual(calls, 7)
        calls = 0
        lbfgs.minimize(&x, evaluations: 100, objective: { x, g in calls += 1; return f(x, &g) }) { $0.evaluation < 3 }
        XCTAssertEqual(calls, 3)
    }

    func testAdamConvergesOnQuadratic() {
        let (f, c) = quadratic(10)
        var x = [Float](repeating: 0, count: 10)
        var adam = Adam(learningRate: 0.05)
        var first: Float?, last: Float = 0
        adam.minimize(&x, evaluations: 800, objective: f) { p in
            if first == nil { first = p.value }
            last = p.value
            return true
        }
        XCTAssertLessThan(last, first! * 1e-4)
        for (v, target) in zip(x, c) { XCTAssertEqual(v, target, accuracy: 1e-2) }
    }

    func testOptimizersAreDeterministic() {
        for kind in [OptimizerKind.lbfgs(history: 5), .adam(learningRate: 0.1)] {
            var a = [Float](repeating: -1, count: 6), b = a
            var m1 = kind.makeMinimizer(), m2 = kind.makeMinimizer()
            m1.minimize(&a, evaluations: 50, objective: rosenbrock) { _ in true }
            m2.minimize(&b, evaluations: 50, objective: rosenbrock) { _ in true }
            XCTAssertEqual(a, b, "\(kind)")
        }
    }

    // MARK: Box constraints (issue 24: the optimized image is the written one)

    /// The box [−0.5, 0.5] on two "channels" of 25 elements: the separable quadratic's constrained minimum
    /// is its unconstrained one clamped into the box (c = sin(i) leaves many elements outside).
    private func box50() -> Box { Box(planeSize: 25, lower: [-0.5, -0.5], upper: [0.5, 0.5]) }

    func testLBFGSWithABoxReachesTheClampedMinimumAndStaysInside() {
        let (f, c) = quadratic(50)
        let box = box50()
        var x = [Float](repeating: 2, count: 50)  // outside: projected first
        var lbfgs = LBFGS(history: 10)
        var outside = 0
        lbfgs.minimize(&x, evaluations: 300, box: box, objective: { p, g in
            if p.contains(where: { $0 < -0.5 || $0 > 0.5 }) { outside += 1 }
            return f(p, &g)
        }) { _ in true }
        XCTAssertEqual(outside, 0, "every evaluated point lies in the box")
        let expected = c.map { min(max($0, -0.5), 0.5) }
        XCTAssertLessThan(zip(x, expected).map { abs($0 - $1) }.max()!, 1e-3)
        XCTAssertTrue(c.contains { abs($0) > 0.5 }, "the test needs minima outside the box")
    }

    /// Coupled variables (Rosenbrock's valley leaves the box [−0.5, 0.8]): the result satisfies the
    /// first-order conditions of the constrained problem: zero gradient inside, pointing out at a bound.
    func testLBFGSWithABoxMeetsTheKKTConditionsOnRosenbrock() {
        let box = Box(planeSize: 10, lower: [-0.5], upper: [0.8])
        var x = [Float](repeating: 0, count: 10)
        var lbfgs = LBFGS(history: 8)
        lbfgs.minimize(&x, evaluations: 2_000, box: box, objective: rosenbrock) { _ in true }
        var g = [Float](repeating: 0, count: 10)
        _ = rosenbrock(x, &g)
        for i in 0..<10 {
            XCTAssertTrue(x[i] >= -0.5 && x[i] <= 0.8, "x[\(i)] = \(x[i]) outside the box")
            if x[i] >= 0.8 - 1e-6 { XCTAssertLessThanOrEqual(g[i], 1e-2, "at the upper bound the gradient must point out (\(i))") }
            else if x[i] <= -0.5 + 1e-6 { XCTAssertGreaterThanOrEqual(g[i], -1e-2, "at the lower bound (\(i))") }
            else { XCTAssertEqual(g[i], 0, accuracy: 2e-2, "x[\(i)] = \(x[i]) is inside, so its gradient must vanish") }
        }
        XCTAssertEqual(x[0], 0.8, accuracy: 1e-4, "the unconstrained optimum (1, …, 1) is outside: the first element sits on the bound")
    }

    func testAdamWithABoxStaysInsideAndReachesTheClampedMinimum() {
        let (f, c) = quadratic(50)
        var x = [Float](repeating: 0, count: 50)
        var adam = Adam(learningRate: 0.05)
        var outside = 0
        adam.minimize(&x, evaluations: 1_500, box: box50(), objective: { p, g in
            if p.contains(where: { $0 < -0.5 || $0 > 0.5 }) { outside += 1 }
            return f(p, &g)
        }) { _ in true }
        XCTAssertEqual(outside, 0)
        let expected = c.map { min(max($0, -0.5), 0.5) }
        XCTAssertLessThan(zip(x, expected).map { abs($0 - $1) }.max()!, 1e-2)
    }

    /// The pixel box: what `VGGPreprocessing.image(from:)` keeps unclamped, and nothing more.
    func testPixelBoxIsTheRangeAnImageKeeps() throws {
        let box = VGGPreprocessing.pixelBox(width: 2, height: 1)
        var t = Tensor(channels: 3, height: 1, width: 2, data: [-500, 500, -500, 500, -500, 500])
        box.project(&t.data)
        let image = try VGGPreprocessing.image(from: t)
        XCTAssertEqual(image.pixels, [0, 0, 0, 1, 1, 1])
        let back = VGGPreprocessing.tensor(from: image)
        for (a, b) in zip(back.data, t.data) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }
}
