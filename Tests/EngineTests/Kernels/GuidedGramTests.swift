import XCTest
@testable import Engine

final class GuidedGramTests: XCTestCase {
    func testAllOnesGuideEqualsThePlainGramAndLoss() {
        var rng = TestRandom(seed: 11)
        let c = 7, h = 9, w = 6
        let f = rng.tensor(c, h, w)
        let ones = [Float](repeating: 1, count: h * w)
        let plain = Gram.compute(f), guided = GuidedGram.compute(f, guide: ones)
        XCTAssertLessThan(relativeMaxError(guided, plain), 1e-6)

        let target = Gram.compute(rng.tensor(c, h, w))
        var g1 = Tensor(channels: c, height: h, width: w), g2 = g1
        let l1 = Gram.styleLoss(features: f, target: target, weight: 2, accumulatingGradientInto: &g1)
        let l2 = GuidedGram.styleLoss(features: f, guide: ones, target: target, weight: 2, accumulatingGradientInto: &g2)
        XCTAssertEqual(l1, l2, accuracy: 1e-6 * max(1, l1))
        XCTAssertLessThan(relativeMaxError(g2.data, g1.data), 1e-5)
    }

    func testGuidedGramIsTheWeightedMeanOfOuterProducts() {
        var rng = TestRandom(seed: 12)
        let c = 4, h = 5, w = 5
        let f = rng.tensor(c, h, w)
        let guide = (0..<(h * w)).map { Float($0 % 3) / 2 }  // 0, 0.5, 1
        let g = GuidedGram.compute(f, guide: guide)
        let mass = guide.reduce(0.0) { $0 + Double($1 * $1) }
        for i in 0..<c {
            for j in 0..<c {
                var s = 0.0
                for p in 0..<(h * w) {
                    s += Double(guide[p] * guide[p]) * Double(f.data[i * h * w + p]) * Double(f.data[j * h * w + p])
                }
                XCTAssertEqual(Double(g[i * c + j]), s / mass, accuracy: 1e-5)
            }
        }
        // Pixels outside the guide do not matter at all.
        var changed = f
        for p in 0..<(h * w) where guide[p] == 0 { for ch in 0..<c { changed.data[ch * h * w + p] = 99 } }
        XCTAssertEqual(GuidedGram.compute(changed, guide: guide), g)
        // An empty guide gives zeros and no loss.
        let empty = [Float](repeating: 0, count: h * w)
        XCTAssertEqual(GuidedGram.compute(f, guide: empty), [Float](repeating: 0, count: c * c))
        var grad = Tensor(channels: c, height: h, width: w)
        XCTAssertEqual(GuidedGram.styleLoss(features: f, guide: empty, target: g, weight: 1, accumulatingGradientInto: &grad), 0)
        XCTAssertEqual(grad.data, [Float](repeating: 0, count: c * h * w))
    }

    func testGuidedLossGradientMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 13)
        let c = 5, h = 6, w = 4
        let f = rng.tensor(c, h, w)
        var guide = rng.array(h * w).map { abs($0) }
        guide[3] = 0
        let target = Gram.compute(rng.tensor(c, h, w))
        let weight: Float = 2.5
        var grad = rng.tensor(c, h, w)  // nonzero: the gradient must be ADDED
        let initial = grad.data
        let loss = GuidedGram.styleLoss(features: f, guide: guide, target: target, weight: weight, accumulatingGradientInto: &grad)
        XCTAssertEqual(loss, GuidedGram.styleLoss(features: f, guide: guide, target: target, weight: weight), accuracy: 1e-6 * max(1, loss))
        XCTAssertGreaterThan(loss, 0)
        let analytic = zip(grad.data, initial).map { $0 - $1 }
        checkGradient(at: f.data, analytic: analytic, probes: Array(0..<f.count), eps: 1e-2, tolerance: 2e-3) { xs in
            Double(GuidedGram.styleLoss(features: Tensor(channels: c, height: h, width: w, data: xs), guide: guide,
                                        target: target, weight: weight))
        }
    }

    /// A guide covering little of the map takes the gather/scatter path: same loss as the dense formula,
    /// gradient zero outside the support and right by finite differences inside.
    func testSparseGuideGathersItsSupport() {
        var rng = TestRandom(seed: 15)
        let c = 6, h = 8, w = 7
        let f = rng.tensor(c, h, w)
        let guide = (0..<(h * w)).map { p -> Float in p % 3 == 0 ? 0.3 + abs(rng.next()) / 2 : 0 }
        XCTAssertLessThan(Float(guide.filter { $0 != 0 }.count), GuidedGram.sparseFraction * Float(h * w))
        let target = Gram.compute(rng.tensor(c, h, w))
        var grad = Tensor(channels: c, height: h, width: w)
        let loss = GuidedGram.styleLoss(features: f, guide: guide, target: target, weight: 1.5, accumulatingGradientInto: &grad)
        XCTAssertEqual(loss, GuidedGram.styleLoss(features: f, guide: guide, target: target, weight: 1.5), accuracy: 1e-5 * loss)
        for ch in 0..<c { for p in 0..<(h * w) where guide[p] == 0 { XCTAssertEqual(grad.data[ch * h * w + p], 0) } }
        checkGradient(at: f.data, analytic: grad.data, probes: Array(0..<f.count), eps: 1e-2, tolerance: 2e-3) { xs in
            Double(GuidedGram.styleLoss(features: Tensor(channels: c, height: h, width: w, data: xs), guide: guide,
                                        target: target, weight: 1.5))
        }
    }

    func testPixelWeightedContentLoss() {
        var rng = TestRandom(seed: 14)
        let c = 3, h = 4, w = 5
        let f = rng.tensor(c, h, w), p = rng.tensor(c, h, w)
        var g1 = Tensor(channels: c, height: h, width: w), g2 = g1
        let ones = [Float](repeating: 1, count: h * w)
        let plain = ContentLoss.loss(features: f, target: p, weight: 1.5, accumulatingGradientInto: &g1)
        let weighted = ContentLoss.loss(features: f, target: p, pixelWeights: ones, weight: 1.5, accumulatingGradientInto: &g2)
        XCTAssertEqual(plain, weighted, accuracy: 1e-6)
        XCTAssertLessThan(relativeMaxError(g2.data, g1.data), 1e-6)
        let weights = rng.array(h * w).map { abs($0) }
        var g3 = Tensor(channels: c, height: h, width: w)
        _ = ContentLoss.loss(features: f, target: p, pixelWeights: weights, weight: 1.5, accumulatingGradientInto: &g3)
        checkGradient(at: f.data, analytic: g3.data, probes: Array(0..<f.count), eps: 0.25, tolerance: 1e-3) { xs in
            var scratch = Tensor(channels: c, height: h, width: w)
            return Double(ContentLoss.loss(features: Tensor(channels: c, height: h, width: w, data: xs), target: p,
                                           pixelWeights: weights, weight: 1.5, accumulatingGradientInto: &scratch))
        }
    }
}
